// METADATA annotations: `# METADATA` comment blocks of YAML, the statement each annotates
// and its scope (rule, document, package, subpackages), as OPA reads them; and the answers of
// rego.metadata.rule() and rego.metadata.chain().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rego/ast.h"
#include "rego/error.h"

namespace oep::rego {

// A comment of a module: where its '#' is, and the text after it.
struct SourceComment {
  Location loc;
  std::string text;
};

// Fills m.annotations from the module's comments: a block starts with a `# METADATA` line
// and runs over the comment lines right below it; it annotates the next statement (the
// package or a rule). An error (rego_parse_error) for YAML that does not parse or is not a
// mapping, an unknown scope, or a scope the statement cannot have.
std::optional<RegoError> AttachAnnotations(Module& m, const std::vector<SourceComment>& comments);

// Every module's annotations, looked up by what they annotate.
class AnnotationIndex {
 public:
  void Add(const Module& m);

  // The rule-scope annotations of `rule` (an else alternative answers for its chain), {}
  // when it has none.
  Value RuleMetadata(const Rule* rule) const;

  // From `rule` outwards: its rule-scope annotations (or just its path), its document's,
  // its package's, then subpackages annotations of the package and its ancestors.
  Value Chain(const Rule* rule, const std::vector<std::string>& package) const;

  // `opa inspect -a`: every annotation as {annotations, location, path (Rego terms)},
  // packages before rules, by path.
  Value Inspect() const;

 private:
  struct Entry {
    const Annotation* annotation;
    std::string file;
  };
  std::map<const Rule*, const Annotation*> rule_scope_;
  std::map<std::vector<std::string>, const Annotation*> document_scope_;
  std::map<std::vector<std::string>, const Annotation*> package_scope_;
  std::map<std::vector<std::string>, const Annotation*> subpackages_scope_;
  std::vector<Entry> all_;
};

}  // namespace oep::rego
