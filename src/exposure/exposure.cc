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

constexpr const char* kMarkerKey = "oep_redacted";

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
    add("card", R"((?:^|[^A-Za-z0-9])([0-9](?:[ -]?[0-9]){12,18})(?:$|[^A-Za-z0-9]))",
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

bool IsCredentialKey(std::string_view key) {
  std::string k;
  for (char c : key) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  static const char* const kKeys[] = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                                      "api-key", "api_key", "apikey", "password", "passwd", "secret",
                                      "client_secret", "token", "access_token", "refresh_token", "private_key"};
  return std::any_of(std::begin(kKeys), std::end(kKeys), [&](const char* s) { return k == s; });
}

bool IsHexDigest(const Value& v) {
  if (!v.IsString() || v.GetStringLength() != 64) return false;
  std::string_view s(v.GetString(), v.GetStringLength());
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

const Value* MarkerBody(const Value& v) {
  if (!v.IsObject() || v.MemberCount() != 1) return nullptr;
  auto it = v.FindMember(kMarkerKey);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

class Scanner {
 public:
  Scanner(std::string record, std::vector<ExposureFinding>* out) : record_(std::move(record)), out_(out) {}

  void Walk(const Value& v, const std::string& pointer) {
    if (const Value* marker = MarkerBody(v)) {
      const Value* hash = marker->IsObject() ? json::GetMember(*marker, "sha256") : nullptr;
      if (hash == nullptr || !IsHexDigest(*hash)) {
        Add("ERROR", "redaction_marker", pointer, "marker without a 64-hex sha256 of the original");
      }
      return;
    }
    if (v.IsObject()) {
      for (const auto& m : v.GetObject()) {
        std::string key(m.name.GetString(), m.name.GetStringLength());
        std::string child = pointer + "/" + json::EscapePointerSegment(key);
        if (IsCredentialKey(key) && m.value.IsString() && m.value.GetStringLength() > 0) {
          Add("WARNING", "credential", child, key + ": " + Mask({m.value.GetString(), m.value.GetStringLength()}));
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
    for (const auto& d : Detectors()) {
      re2::StringPiece input(text.data(), text.size());
      re2::StringPiece match;
      while (RE2::FindAndConsume(&input, d->pattern, &match)) {
        std::string_view m(match.data(), match.size());
        if (d->accept(m)) Add("WARNING", d->name, pointer, Mask(m));
        if (match.empty()) break;
      }
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

void MakeRedactionMarker(const Value& original, std::string_view detector, Value* out,
                         rapidjson::Document::AllocatorType& a) {
  std::string hash = crypto::Sha256Hex(json::CanonicalText(original));
  Value body(rapidjson::kObjectType);
  body.AddMember("detector", Value(detector.data(), static_cast<rapidjson::SizeType>(detector.size()), a), a);
  body.AddMember("sha256", Value(hash.c_str(), a), a);
  out->SetObject();
  out->AddMember(Value(kMarkerKey, a), body, a);
}

bool RedactionMarkerMatches(const Value& marker, const Value& original) {
  const Value* body = MarkerBody(marker);
  const Value* hash = body && body->IsObject() ? json::GetMember(*body, "sha256") : nullptr;
  return hash && IsHexDigest(*hash) && hash->GetString() == crypto::Sha256Hex(json::CanonicalText(original));
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
