// Hex and base64 (RFC 4648 section 4, padded) for keys, hashes and signatures.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oep::crypto {

// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// The bytes of lowercase or uppercase hex; nullopt for odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard padded base64 of `bytes`.
std::string Base64Encode(std::string_view bytes);
// The bytes of canonical padded base64; nullopt for anything else (bad characters,
// missing padding, non-zero padding bits), so that one value has exactly one encoding.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace oep::crypto
