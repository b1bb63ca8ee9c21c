#include "redaction/redaction_marker.h"

#include "crypto/sha256.h"
#include "json/json.h"

namespace oep {

std::optional<std::string> RedactionMarkerHash(const rapidjson::Value& v) {
  if (!v.IsObject()) return std::nullopt;
  const rapidjson::Value* hash = nullptr;
  for (const auto& m : v.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == kRedactedMember) {
      hash = &m.value;
    } else if (name != "reason" || !m.value.IsString()) {
      return std::nullopt;
    }
  }
  if (hash == nullptr || !hash->IsString()) return std::nullopt;
  std::string_view h(hash->GetString(), hash->GetStringLength());
  if (h.size() != 71 || h.substr(0, 7) != "sha256:") return std::nullopt;
  for (char c : h.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return std::string(h);
}

std::string RedactionHashOf(const rapidjson::Value& value) { return crypto::Sha256Digest(json::CanonicalText(value)); }

}  // namespace oep
