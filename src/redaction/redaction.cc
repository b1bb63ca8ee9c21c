#include "redaction/redaction.h"

#include <algorithm>
#include <cctype>

#include "exposure/exposure.h"
#include "json/json.h"

namespace oep {

using rapidjson::Value;

namespace {

constexpr std::string_view kProfileVersion = "oep.redaction_profile.v0";
const char* const kDetectorNames[] = {"email", "phone", "iban", "card", "ip", "credential"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status StringList(const Value& doc, const char* key, const std::string& where, std::set<std::string>* out) {
  const Value* list = json::GetMember(doc, key);
  if (list == nullptr) return Status::Ok();
  if (!list->IsArray()) return Status::InvalidArgument(where + ": /" + key + ": expected an array of strings");
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const Value& v = (*list)[i];
    if (!v.IsString()) return Status::InvalidArgument(where + ": /" + key + "/" + std::to_string(i) + ": expected a string");
    out->insert(std::string(v.GetString(), v.GetStringLength()));
  }
  return Status::Ok();
}

class Redactor {
 public:
  Redactor(const RedactionProfile& p, rapidjson::Document::AllocatorType& a) : p_(p), a_(a) {}

  void Walk(Value& v, const std::string& pointer) {
    if (p_.pointers.count(pointer)) return Replace(v, "pointer");
    if (v.IsObject()) {
      for (auto& m : v.GetObject()) {
        std::string_view key(m.name.GetString(), m.name.GetStringLength());
        // A credential is a string (or number): a structured member that happens to share a
        // credential's name (an approval's signed "token" object) is walked, not replaced.
        bool credential = p_.credential_members && (m.value.IsString() || m.value.IsNumber()) &&
                          IsCredentialMemberName(key) && !IsMarker(m.value);
        if (credential || (!p_.keys.empty() && p_.keys.count(Lower(key)))) {
          if (!m.value.IsNull()) Replace(m.value, "key");
          continue;
        }
        Walk(m.value, Child(pointer, json::EscapePointerSegment(key)));
      }
    } else if (v.IsArray()) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) Walk(v[i], Child(pointer, std::to_string(i)));
    } else if (v.IsString() && !p_.detectors.empty()) {
      InString(v);
    }
  }

  int64_t count() const { return count_; }

 private:
  // The pointer of a child: only built when the profile names pointers (the walk is on
  // every ingested record's path; most profiles name none).
  std::string Child(const std::string& pointer, const std::string& segment) const {
    return p_.pointers.empty() ? std::string() : pointer + "/" + segment;
  }

  static bool IsMarker(const Value& v) {
    return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()).rfind(kRedactionMarkerPrefix, 0) == 0;
  }

  void Replace(Value& v, std::string_view detector) {
    if (IsMarker(v)) return;  // already redacted (a re-ingest)
    std::string marker = MakeRedactionMarker(v, detector);
    v.SetString(marker.c_str(), static_cast<rapidjson::SizeType>(marker.size()), a_);
    ++count_;
  }

  void InString(Value& v) {
    std::string_view text(v.GetString(), v.GetStringLength());
    std::string out;
    size_t at = 0;
    for (const auto& span : FindExposureSpans(text)) {
      if (span.begin < at || !p_.detectors.count(span.detector)) continue;  // overlaps one already replaced
      std::string_view found = text.substr(span.begin, span.end - span.begin);
      out.append(text.substr(at, span.begin - at));
      out += MakeRedactionMarker(Value(found.data(), static_cast<rapidjson::SizeType>(found.size())), span.detector);
      at = span.end;
      ++count_;
    }
    if (at == 0) return;
    out.append(text.substr(at));
    v.SetString(out.c_str(), static_cast<rapidjson::SizeType>(out.size()), a_);
  }

  const RedactionProfile& p_;
  rapidjson::Document::AllocatorType& a_;
  int64_t count_ = 0;
};

}  // namespace

const RedactionProfile& DefaultRedactionProfile() {
  static const RedactionProfile kDefault;  // credential_members only
  return kDefault;
}

Result<RedactionProfile> ParseRedactionProfile(std::string_view text, const std::string& where) {
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.status().WithContext(where);
  if (!doc->IsObject()) return Status::InvalidArgument(where + ": /: expected a redaction profile object");
  if (json::GetString(*doc, "schema_version") != kProfileVersion) {
    return Status::InvalidArgument(where + ": /schema_version: expected \"" + std::string(kProfileVersion) + "\"");
  }
  for (const auto& m : doc->GetObject()) {
    std::string key = m.name.GetString();
    if (key != "schema_version" && key != "pointers" && key != "keys" && key != "detectors" && key != "credential_members") {
      return Status::InvalidArgument(where + ": /" + key + ": not a member of a redaction profile");
    }
  }
  RedactionProfile p;
  OEP_RETURN_IF_ERROR(StringList(*doc, "pointers", where, &p.pointers));
  std::set<std::string> keys;
  OEP_RETURN_IF_ERROR(StringList(*doc, "keys", where, &keys));
  for (const auto& k : keys) p.keys.insert(Lower(k));
  OEP_RETURN_IF_ERROR(StringList(*doc, "detectors", where, &p.detectors));
  for (const auto& d : p.detectors) {
    if (std::none_of(std::begin(kDetectorNames), std::end(kDetectorNames), [&](const char* n) { return d == n; })) {
      return Status::InvalidArgument(where + ": /detectors: unknown detector \"" + d +
                                     "\"; expected email, phone, iban, card, ip or credential");
    }
  }
  for (const auto& ptr : p.pointers) {
    if (!ptr.empty() && ptr[0] != '/') return Status::InvalidArgument(where + ": /pointers: \"" + ptr + "\" is not a JSON pointer");
  }
  if (const Value* c = json::GetMember(*doc, "credential_members")) {
    if (!c->IsBool()) return Status::InvalidArgument(where + ": /credential_members: expected true or false");
    p.credential_members = c->GetBool();
  }
  return p;
}

int64_t ApplyRedaction(Value& doc, const RedactionProfile& profile, rapidjson::Document::AllocatorType& a) {
  Redactor r(profile, a);
  r.Walk(doc, "");
  return r.count();
}

}  // namespace oep
