#include "schema/validator.h"

#include <map>
#include <string>

#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include "json/json.h"
#include "schema/embedded_files.h"

namespace oep {
namespace {

std::string PointerString(const rapidjson::Pointer& p) {
  rapidjson::StringBuffer sb;
  p.Stringify(sb);
  return sb.GetString();
}

// Turns the validator's failure (schema pointer, keyword, document pointer) into a
// sentence a person can act on.
std::string Explain(const rapidjson::Document& schema, std::string_view schema_path,
                    const rapidjson::SchemaValidator& v, const rapidjson::Value& doc) {
  std::string keyword = v.GetInvalidSchemaKeyword();
  std::string doc_ptr = PointerString(v.GetInvalidDocumentPointer());
  std::string schema_ptr = PointerString(v.GetInvalidSchemaPointer());
  const rapidjson::Value* node = v.GetInvalidSchemaPointer().Get(schema);
  const rapidjson::Value* rule = node ? json::GetMember(*node, keyword.c_str()) : nullptr;
  const rapidjson::Value* actual = v.GetInvalidDocumentPointer().Get(doc);
  std::string expected = rule ? json::CanonicalText(*rule) : "";
  std::string what;
  if (keyword == "required" && rule && rule->IsArray() && actual && actual->IsObject()) {
    for (const auto& name : rule->GetArray()) {
      if (!actual->HasMember(name)) {
        what = "missing required member \"" + std::string(name.GetString()) + "\"";
        break;
      }
    }
  } else if (keyword == "type" && actual) {
    what = "expected type " + expected + ", found " + json::TypeName(*actual);
  } else if (keyword == "enum" && actual) {
    what = "expected one of " + expected + ", found " + json::CanonicalText(*actual);
  } else if (keyword == "pattern" && actual) {
    what = "expected a string matching " + expected + ", found " + json::CanonicalText(*actual);
  } else if (keyword == "additionalProperties") {
    what = "a member is not allowed here or does not match the schema for extra members";
  }
  if (what.empty()) what = "violates schema keyword \"" + keyword + "\"" + (expected.empty() ? "" : " (expected " + expected + ")");
  return (doc_ptr.empty() ? "/" : doc_ptr) + ": " + what + " (" + std::string(schema_path) + "#" + schema_ptr + ")";
}

}  // namespace

struct Validator::Impl {
  struct Compiled {
    std::string_view path;
    rapidjson::Document doc;
    std::unique_ptr<rapidjson::SchemaDocument> schema;
    std::unique_ptr<rapidjson::SchemaValidator> validator;
  };
  // Compiled schemas never move: SchemaDocument keeps pointers into `doc`.
  std::map<std::string_view, std::unique_ptr<Compiled>> by_path;

  Compiled& Get(std::string_view path) {
    auto it = by_path.find(path);
    if (it != by_path.end()) return *it->second;
    for (const auto& f : EmbeddedFiles()) {
      if (f.path != path) continue;
      auto c = std::make_unique<Compiled>();
      c->path = f.path;
      c->doc.Parse(f.text.data(), f.text.size());
      if (c->doc.HasParseError()) std::abort();  // schemas are checked by the test suite
      c->schema = std::make_unique<rapidjson::SchemaDocument>(c->doc);
      c->validator = std::make_unique<rapidjson::SchemaValidator>(*c->schema);
      return *by_path.emplace(f.path, std::move(c)).first->second;
    }
    std::abort();  // a KindSpec names a schema that is not embedded: build error
  }
};

Validator::Validator() : impl_(std::make_unique<Impl>()) {}
Validator::~Validator() = default;

Status Validator::Validate(ArtifactKind kind, const rapidjson::Value& doc) {
  return ValidateWith(Spec(kind).schema_file, doc);
}

Status Validator::ValidateWith(std::string_view schema_path, const rapidjson::Value& doc) {
  auto& c = impl_->Get(schema_path);
  c.validator->Reset();
  if (doc.Accept(*c.validator)) return Status::Ok();
  return Status::InvalidArgument(Explain(c.doc, c.path, *c.validator, doc));
}

}  // namespace oep
