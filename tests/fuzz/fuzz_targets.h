// Fuzz entry points, shared by the libFuzzer executables (`make fuzz`, built with clang) and
// by the regression test that replays tests/fuzz/regressions/ in every build. Each must
// return normally on any input: errors are values, never crashes, hangs or leaks.
#pragma once

#include <string_view>

namespace oep::fuzz {

// The bytes as a Rego module (v1 and v0), as a query and as a term.
void RegoParse(std::string_view input);

// The bytes as a Rego module; when it compiles, its package evaluated under a small step
// budget against a fixed input, with non-deterministic built-ins in replay mode.
void RegoEval(std::string_view input);

// The bytes as the documents built-ins parse from policy data: a GraphQL schema and query
// (the query validated against the schema when both parse), and YAML.
void DocumentParse(std::string_view input);

// The bytes as a .json ingest file and as one JSONL record (parsed in place): parse,
// schema validation and canonical form of each artifact (BuildRecord), no store.
void JsonIngest(std::string_view input);

// The bytes as an OPA decision log's text (JSON array or lines), imported into an
// in-memory store holding the demo manifest (ImportOpaDecisionLogText).
void DecisionLogParse(std::string_view input);

}  // namespace oep::fuzz
