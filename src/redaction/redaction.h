// Redaction at ingest: a profile names what is replaced by a redaction marker (see
// src/exposure/exposure.h) before an artifact is validated, canonicalized and hashed, so
// the store never holds it while diffs and verification still compare by hash.
//
// Profile (JSON):
//   {"schema_version": "oep.redaction_profile.v0",
//    "pointers":  [RFC 6901 pointers into the artifact: the whole value is replaced],
//    "keys":      [member names, any depth, case-insensitive: their values are replaced],
//    "detectors": [email | phone | iban | card | ip | credential: matches inside strings
//                  are replaced in place],
//    "credential_members": true (default) | false: also replace the values of Authorization,
//                  Cookie, Set-Cookie, X-Api-Key, password, token, ... members}
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "util/status.h"

namespace oep {

struct RedactionProfile {
  std::set<std::string> pointers;
  std::set<std::string> keys;  // lower case
  std::set<std::string> detectors;
  bool credential_members = true;
};

// The profile every ingest path applies when none is given: the string and number values of
// credential members (Authorization, Cookie, Set-Cookie, API keys, passwords, tokens;
// exposure.h) only.
const RedactionProfile& DefaultRedactionProfile();

// InvalidArgument naming `where`, the JSON pointer inside the profile and what was expected.
Result<RedactionProfile> ParseRedactionProfile(std::string_view text, const std::string& where);

// Replaces in `doc` what `profile` names by markers; returns how many values were replaced.
int64_t ApplyRedaction(rapidjson::Value& doc, const RedactionProfile& profile, rapidjson::Document::AllocatorType& a);

}  // namespace oep
