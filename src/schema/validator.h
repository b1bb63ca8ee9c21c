// JSON Schema (draft-04) validation of artifacts against the schemas in the repository
// (compiled in). Not thread-safe: use one Validator per thread.
#pragma once

#include <memory>
#include <string_view>

#include <rapidjson/document.h>

#include "schema/artifact_kind.h"
#include "util/status.h"

namespace oep {

class Validator {
 public:
  Validator();
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Ok, or InvalidArgument naming the JSON pointer of the offending value and what the
  // schema expected there, e.g. "/decision/allow: expected type boolean, found string
  // (permissions/schema/tool_permission_packet.v0.schema.json#/properties/decision/...)".
  Status Validate(ArtifactKind kind, const rapidjson::Value& doc);

  // Validates against a schema embedded under `schema_path` (e.g. replay output schemas).
  Status ValidateWith(std::string_view schema_path, const rapidjson::Value& doc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oep
