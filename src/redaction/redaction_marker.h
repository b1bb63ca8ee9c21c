// Redaction markers: where a value was removed before storing, the stored document holds
// {"oep_redacted": "sha256:<hex>"} (and optionally "reason": string) in its place. The hash
// is SHA-256 of the RFC 8785 canonical form of the value removed, so two documents can be
// compared by hash — same or changed — without either value being revealed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace oep {

inline constexpr std::string_view kRedactedMember = "oep_redacted";

// The marker's "sha256:<64 lowercase hex>" when `v` is a redaction marker (an object with a
// well-formed "oep_redacted" and no members but it and "reason"), else nullopt.
std::optional<std::string> RedactionMarkerHash(const rapidjson::Value& v);

// "sha256:<hex>" of the canonical form of `value`: what its marker would hold.
std::string RedactionHashOf(const rapidjson::Value& value);

}  // namespace oep
