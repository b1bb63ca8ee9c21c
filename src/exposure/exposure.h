// Personal data and secrets in stored payloads (GDPR exposure), and the redaction marker
// that replaces a value removed before hashing.
//
// Detectors, over every JSON string (and object member names that carry credentials):
//   email        local@domain.tld
//   phone        +<country><number>: 8 to 15 digits after '+', spaces, dots, dashes or
//                parentheses between groups
//   iban         2 letters, 2 check digits, 11 to 30 alphanumerics; ISO 13616 mod-97 = 1
//   card         13 to 19 digits starting with 2-6 (spaces or dashes between groups) passing
//                the Luhn check
//   ip           IPv4 dotted quads (each 0-255) and IPv6 addresses (inet_pton)
//   credential   API-key and token shapes (sk-..., ghp_..., AKIA..., xox?-..., JWTs,
//                "Bearer <token>"), and any non-empty value of a member named
//                Authorization, Cookie, Set-Cookie, X-Api-Key, api_key, password, secret, token
// Redaction marker: the string "oep:redacted:<detector>:sha256:<64 lowercase hex>", the
// hash being SHA-256 of the RFC 8785 canonical JSON of what it replaced (a whole value, or
// the matched part of a string, as a JSON string). A string so that a redacted value still
// validates where the schema expects a string. Markers are not scanned for personal data;
// "oep:redacted:" followed by anything else is an ERROR.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct ExposureFinding {
  std::string severity;  // "WARNING": unredacted personal data; "ERROR": a bad redaction marker
  std::string detector;  // email | phone | iban | card | ip | credential | redaction_marker
  std::string record;    // "table/id" of the stored row
  std::string pointer;   // RFC 6901 JSON pointer of the value inside the row's body
  std::string excerpt;   // the match masked for display (first and last characters kept)
};

// True when every detector's pattern compiled (a test holds this).
bool ExposureDetectorsCompile();

// Appends the findings in `value` (a row's parsed body) to `out`.
void ScanForExposure(const rapidjson::Value& value, const std::string& record, std::vector<ExposureFinding>* out);

// A detector's match inside a string: bytes [begin, end).
struct ExposureSpan {
  const char* detector;
  size_t begin = 0, end = 0;
};
// The detector matches in `text` outside redaction markers, in text order.
std::vector<ExposureSpan> FindExposureSpans(std::string_view text);

// True for member names whose values are credentials (Authorization, Cookie, ...).
bool IsCredentialMemberName(std::string_view name);

inline constexpr std::string_view kRedactionMarkerPrefix = "oep:redacted:";
// The marker replacing `original` (hashed as its canonical JSON).
std::string MakeRedactionMarker(const rapidjson::Value& original, std::string_view detector);
// True when `marker` is a well-formed marker whose hash is SHA-256 of `original`'s canonical JSON.
bool RedactionMarkerMatches(std::string_view marker, const rapidjson::Value& original);

struct ExposureAuditOptions {
  std::string run;    // only this run's chain (trace id); "" = every stored row of the tenant
  std::string since;  // RFC 3339: rows whose own time (decision_time, event_time, created_at,
                      // started_at) is earlier are skipped; rows without one are kept
};

struct ExposureReport {
  int64_t rows = 0;
  std::vector<ExposureFinding> findings;
  int64_t warnings() const;
  int64_t errors() const;
  std::string Render() const;  // one line per finding, a summary, and the playbook line if any warning
};

// Scans the stored rows of the store's tenant. InvalidArgument for a bad --since.
Result<ExposureReport> AuditExposure(Store& store, const ExposureAuditOptions& options);

}  // namespace oep
