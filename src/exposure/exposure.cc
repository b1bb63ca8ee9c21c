#include "exposure/exposure.h"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <re2/re2.h>

#include "chain_rows/chain_rows.h"
#include "crypto/sha256.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

using rapidjson::Value;


std::string Mask(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out(s.substr(0, std::min(s.size(), kMax)));
  for (size_t i = 0; i < out.size(); ++i) {
    if (s.size() > 6 && (i < 2 || i + 2 >= s.size())) continue;
    if (std::isalnum(static_cast<unsigned char>(out[i]))) out[i] = '*';
  }
  return s.size() > kMax ? out + "..." : out;
}

std::string DigitsAndLetters(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool LuhnValid(const std::string& digits) {
  if (digits.size() < 13 || digits.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// ISO 13616: move the first four characters to the end, letters as 10..35, mod 97 == 1.
bool IbanValid(const std::string& iban) {
  if (iban.size() < 15 || iban.size() > 34) return false;
  std::string moved = iban.substr(4) + iban.substr(0, 4);
  int rem = 0;
  for (char c : moved) {
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10;
    rem = (v >= 10 ? rem * 100 + v : rem * 10 + v) % 97;
  }
  return rem == 1;
}

bool Ipv4Valid(std::string_view s) {
  in_addr addr{};
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}

bool Ipv6Valid(std::string_view s) {
  if (std::count(s.begin(), s.end(), ':') < 2 || std::none_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

int CountDigits(std::string_view s) {
  return static_cast<int>(std::count_if(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }));
}

struct Detector {
  Detector(const char* n, const char* re, bool (*a)(std::string_view)) : name(n), pattern(re), accept(a) {}
  const char* name;
  RE2 pattern;  // group 1 is the candidate
  bool (*accept)(std::string_view match);
};

const std::vector<std::unique_ptr<Detector>>& Detectors() {
  static const auto* detectors = [] {
    auto* d = new std::vector<std::unique_ptr<Detector>>();
    auto add = [&](const char* name, const char* re, bool (*accept)(std::string_view)) {
      d->push_back(std::make_unique<Detector>(name, re, accept));
    };
    auto any = [](std::string_view) { return true; };
    add("email", R"(([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}))", any);
    add("credential",
        R"(((?:sk|pk|rk)-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|[Bb]earer +[A-Za-z0-9._~+/=-]{16,}))",
        any);
    add("iban", R"((?:^|[^A-Za-z0-9])([A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}))",
        [](std::string_view m) { return IbanValid(DigitsAndLetters(m)); });
    // Payment cards start with 2-6 (ISO/IEC 7812 industry identifiers of banking and card
    // networks): ids of zero-padded digits (span ids, sequence numbers) are not cards.
    add("card", R"((?:^|[^A-Za-z0-9])([2-6](?:[ -]?[0-9]){12,18})(?:$|[^A-Za-z0-9]))",
        [](std::string_view m) { return LuhnValid(DigitsAndLetters(m)); });
    add("phone", R"((?:^|[^A-Za-z0-9+])(\+[0-9](?:[ .()-]{0,2}[0-9]){7,14})(?:$|[^0-9]))",
        [](std::string_view m) { return CountDigits(m) >= 8 && CountDigits(m) <= 15; });
    add("ip", R"((?:^|[^0-9.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:$|[^0-9.]))", Ipv4Valid);
    add("ip", R"((?:^|[^0-9A-Za-z:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}))", Ipv6Valid);
    return d;
  }();
  return *detectors;
}

}  // namespace

bool ExposureDetectorsCompile() {
  for (const auto& d : Detectors()) {
    if (!d->pattern.ok()) return false;
  }
  return true;
}

namespace {

}  // namespace

bool IsCredentialMemberName(std::string_view key) {
  // Lower-case names, compared ASCII case-insensitively without a copy (ingest asks this of
  // every member of every record).
  static constexpr std::string_view kKeys[] = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                                               "api-key", "api_key", "apikey", "password", "passwd", "secret",
                                               "client_secret", "token", "access_token", "refresh_token", "private_key"};
  return std::any_of(std::begin(kKeys), std::end(kKeys), [&](std::string_view s) {
    return s.size() == key.size() && std::equal(s.begin(), s.end(), key.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  });
}

namespace {

// Markers in `text`: [begin, end) of each and whether it is well formed.
struct MarkerSpan {
  size_t begin, end;
  bool well_formed;
};

std::vector<MarkerSpan> FindMarkers(std::string_view text) {
  static const RE2 kMarker(R"((oep:redacted:[A-Za-z0-9_:]*))");
  static const RE2 kWellFormed(R"(oep:redacted:[a-z_]+:sha256:[0-9a-f]{64})");
  std::vector<MarkerSpan> out;
  if (text.find(kRedactionMarkerPrefix) == std::string_view::npos) return out;
  re2::StringPiece input(text.data(), text.size()), match;
  while (RE2::FindAndConsume(&input, kMarker, &match)) {
    size_t begin = static_cast<size_t>(match.data() - text.data());
    out.push_back({begin, begin + match.size(), RE2::FullMatch(match, kWellFormed)});
  }
  return out;
}

class Scanner {
 public:
  Scanner(std::string record, std::vector<ExposureFinding>* out) : record_(std::move(record)), out_(out) {}

  void Walk(const Value& v, const std::string& pointer) {
    if (v.IsObject()) {
      for (const auto& m : v.GetObject()) {
        std::string key(m.name.GetString(), m.name.GetStringLength());
        std::string child = pointer + "/" + json::EscapePointerSegment(key);
        std::string_view value = m.value.IsString() ? std::string_view(m.value.GetString(), m.value.GetStringLength()) : "";
        if (IsCredentialMemberName(key) && !value.empty() && value.rfind(kRedactionMarkerPrefix, 0) != 0) {
          Add("WARNING", "credential", child, key + ": " + Mask(value));
          continue;
        }
        Walk(m.value, child);
      }
    } else if (v.IsArray()) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) Walk(v[i], pointer + "/" + std::to_string(i));
    } else if (v.IsString()) {
      ScanString({v.GetString(), v.GetStringLength()}, pointer);
    }
  }

 private:
  void ScanString(std::string_view text, const std::string& pointer) {
    for (const auto& m : FindMarkers(text)) {
      if (!m.well_formed) Add("ERROR", "redaction_marker", pointer, "malformed marker: " + std::string(text.substr(m.begin, m.end - m.begin)).substr(0, 80));
    }
    for (const auto& span : FindExposureSpans(text)) {
      Add("WARNING", span.detector, pointer, Mask(text.substr(span.begin, span.end - span.begin)));
    }
  }

  void Add(const char* severity, const char* detector, const std::string& pointer, std::string excerpt) {
    out_->push_back({severity, detector, record_, pointer.empty() ? "" : pointer, std::move(excerpt)});
  }

  std::string record_;
  std::vector<ExposureFinding>* out_;
};

// A row's own time, for --since: the first of these members that is a timestamp.
std::optional<int64_t> RowTime(const Value& body) {
  for (const char* key : {"decision_time", "event_time", "created_at", "started_at"}) {
    const Value* v = json::GetMember(body, key);
    if (v && v->IsString()) {
      if (auto ns = ParseRfc3339Ns(v->GetString())) return ns;
    }
  }
  return std::nullopt;
}

}  // namespace

void ScanForExposure(const Value& value, const std::string& record, std::vector<ExposureFinding>* out) {
  Scanner(record, out).Walk(value, "");
}

std::vector<ExposureSpan> FindExposureSpans(std::string_view text) {
  std::vector<MarkerSpan> markers = FindMarkers(text);
  auto in_marker = [&](size_t begin, size_t end) {
    return std::any_of(markers.begin(), markers.end(), [&](const MarkerSpan& m) { return begin < m.end && m.begin < end; });
  };
  std::vector<ExposureSpan> out;
  for (const auto& d : Detectors()) {
    re2::StringPiece input(text.data(), text.size()), match;
    while (RE2::FindAndConsume(&input, d->pattern, &match)) {
      size_t begin = static_cast<size_t>(match.data() - text.data()), end = begin + match.size();
      if (d->accept({match.data(), match.size()}) && !in_marker(begin, end)) out.push_back({d->name, begin, end});
      if (match.empty()) break;
    }
  }
  std::sort(out.begin(), out.end(), [](const ExposureSpan& a, const ExposureSpan& b) { return a.begin < b.begin; });
  return out;
}

std::string MakeRedactionMarker(const Value& original, std::string_view detector) {
  return std::string(kRedactionMarkerPrefix) + std::string(detector) + ":sha256:" +
         crypto::Sha256Hex(json::CanonicalText(original));
}

bool RedactionMarkerMatches(std::string_view marker, const Value& original) {
  auto spans = FindMarkers(marker);
  if (spans.size() != 1 || !spans[0].well_formed || spans[0].begin != 0 || spans[0].end != marker.size()) return false;
  return marker.substr(marker.size() - 64) == crypto::Sha256Hex(json::CanonicalText(original));
}

int64_t ExposureReport::warnings() const {
  return std::count_if(findings.begin(), findings.end(), [](const ExposureFinding& f) { return f.severity == "WARNING"; });
}

int64_t ExposureReport::errors() const { return static_cast<int64_t>(findings.size()) - warnings(); }

std::string ExposureReport::Render() const {
  std::string out;
  for (const auto& f : findings) {
    out += f.severity + " " + f.detector + " " + f.record + "#" + f.pointer + ": " + f.excerpt + "\n";
  }
  out += "summary: " + std::to_string(rows) + " rows scanned, " + std::to_string(warnings()) + " unredacted finding(s), " +
         std::to_string(errors()) + " bad redaction marker(s)\n";
  if (warnings() > 0) out += "playbook: [OEP-A001 docs/playbooks/unredacted-personal-data.md]\n";
  return out;
}

namespace {

class StoreAudit {
 public:
  StoreAudit(std::optional<int64_t> since) : since_(since) {}

  Status Row(const std::string& table, const std::string& id, const std::string& body) {
    auto doc = json::Parse(body);
    if (!doc.ok()) return Status::Corruption(table + "/" + id + ": stored body is not JSON: " + doc.status().message());
    if (since_) {
      auto t = RowTime(*doc);
      if (t && *t < *since_) return Status::Ok();
    }
    ++report_.rows;
    ScanForExposure(*doc, table + "/" + id, &report_.findings);
    return Status::Ok();
  }
  ExposureReport& report() { return report_; }

 private:
  std::optional<int64_t> since_;
  ExposureReport report_;
};

// Every kind's rows, then the OPA inputs recorded beside decisions (looked up in batches).
Status AuditAllRows(Store& store, StoreAudit& audit) {
  std::vector<std::string> decision_ids;
  auto flush_inputs = [&]() -> Status {
    if (decision_ids.empty()) return Status::Ok();
    auto inputs = store.DecisionInputs(decision_ids);
    if (!inputs.ok()) return inputs.status();
    for (const auto& [id, body] : *inputs) OEP_RETURN_IF_ERROR(audit.Row("decision_inputs", id, body));
    decision_ids.clear();
    return Status::Ok();
  };
  for (const auto& spec : AllKinds()) {
    OEP_RETURN_IF_ERROR(store.ForEach(spec.kind, [&](const StoredArtifact& row) -> Status {
      Status s = audit.Row(std::string(spec.table), row.id, row.body);
      if (!s.ok()) return s;
      if (spec.kind != ArtifactKind::kPermissionPacket) return Status::Ok();
      decision_ids.push_back(row.id);
      return decision_ids.size() >= 500 ? flush_inputs() : Status::Ok();
    }));
  }
  return flush_inputs();
}

}  // namespace

Result<ExposureReport> AuditExposure(Store& store, const ExposureAuditOptions& options) {
  std::optional<int64_t> since;
  if (!options.since.empty()) {
    since = ParseRfc3339Ns(options.since);
    if (!since) return Status::InvalidArgument("--since \"" + options.since + "\": expected an RFC 3339 timestamp");
  }
  StoreAudit audit(since);
  if (options.run.empty()) {
    OEP_RETURN_IF_ERROR(AuditAllRows(store, audit));
  } else {
    auto chain = ReadChain(store, TenantChain(store.tenant(), "run:" + options.run));
    if (!chain.ok()) return chain.status();
    for (const auto& r : chain->records) OEP_RETURN_IF_ERROR(audit.Row(r.table, r.id, r.body));
  }
  return std::move(audit.report());
}

}  // namespace oep
