#include "redaction/redaction_marker.h"

#include <string_view>

#include "crypto/sha256.h"
#include "exposure/exposure.h"
#include "json/json.h"

namespace oep {

std::optional<std::string> RedactionMarkerHash(const rapidjson::Value& v) {
  if (!v.IsString()) return std::nullopt;
  std::string_view s(v.GetString(), v.GetStringLength());
  if (s.substr(0, kRedactionMarkerPrefix.size()) != kRedactionMarkerPrefix) return std::nullopt;
  size_t at = s.find(":sha256:", kRedactionMarkerPrefix.size());
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view hex = s.substr(at + 8);
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) return std::nullopt;
  return "sha256:" + std::string(hex);
}

std::string RedactionHashOf(const rapidjson::Value& value) { return crypto::Sha256Digest(json::CanonicalText(value)); }

}  // namespace oep
