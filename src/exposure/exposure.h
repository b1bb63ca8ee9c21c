// Personal data and secrets in stored payloads (GDPR exposure), and the redaction marker
// that replaces a value removed before hashing.
//
// Detectors, over every JSON string (and object member names that carry credentials):
//   email        local@domain.tld
//   phone        +<country><number>: 8 to 15 digits after '+', spaces, dots, dashes or
//                parentheses between groups
//   iban         2 letters, 2 check digits, 11 to 30 alphanumerics; ISO 13616 mod-97 = 1
//   card         13 to 19 digits (spaces or dashes between groups) passing the Luhn check
//   ip           IPv4 dotted quads (each 0-255) and IPv6 addresses (inet_pton)
//   credential   API-key and token shapes (sk-..., ghp_..., AKIA..., xox?-..., JWTs,
//                "Bearer <token>"), and any non-empty value of a member named
//                Authorization, Cookie, Set-Cookie, X-Api-Key, api_key, password, secret, token
// Redaction marker: the object {"oep_redacted": {"sha256": <64 lowercase hex: SHA-256 of
// the original value's RFC 8785 canonical JSON>, "detector": <string>}}. Nothing inside a
// marker is scanned; a marker whose hash is not such a digest is an ERROR.
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

// The marker replacing `original` (its hash over the canonical JSON of `original`).
void MakeRedactionMarker(const rapidjson::Value& original, std::string_view detector, rapidjson::Value* out,
                         rapidjson::Document::AllocatorType& a);
// True when `marker` is a redaction marker whose hash is SHA-256 of `original`'s canonical JSON.
bool RedactionMarkerMatches(const rapidjson::Value& marker, const rapidjson::Value& original);

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
  std::string Render() const;  // one line per finding, then a summary
};

// Scans the stored rows of the store's tenant. InvalidArgument for a bad --since.
Result<ExposureReport> AuditExposure(Store& store, const ExposureAuditOptions& options);

}  // namespace oep
