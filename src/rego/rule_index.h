// Rule indexing, a compile pass: rules of one document that each test
// `input.<path> == <constant>` are grouped by the constant (Node::index), so an evaluation
// tries only the rules whose constant equals the input's value there.
#pragma once

#include "rego/compiled_policy.h"

namespace oep::rego {

// Indexes every document of at least 8 complete or partial rules (no else chains, no
// functions) under `node`, on the input path the most of its rules test.
void IndexRules(Node& node);

}  // namespace oep::rego
