// Reading redaction markers (the format is exposure/exposure.h's, which also makes them): a
// redacted value is stored as the string "oep:redacted:<detector>:sha256:<64 hex>", the hash
// being SHA-256 of the RFC 8785 canonical form of the value removed, so two documents can be
// compared by hash — same or changed — without either value being revealed.
#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

namespace oep {

// The marker's "sha256:<64 lowercase hex>" when `v` is a whole-value redaction marker, else
// nullopt (a string that merely contains a marker is compared as a string).
std::optional<std::string> RedactionMarkerHash(const rapidjson::Value& v);

// "sha256:<hex>" of the canonical form of `value`: what its marker would hold.
std::string RedactionHashOf(const rapidjson::Value& value);

}  // namespace oep
