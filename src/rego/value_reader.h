// Rego values read straight from JSON text, without an intermediate document: the reader
// behind stored-decision reads, where building a RapidJSON tree first cost as much again.
#pragma once

#include "json/json_cursor.h"
#include "rego/input_paths.h"
#include "rego/value.h"
#include "util/status.h"

namespace oep::rego {

// Reads the value at the cursor. Numbers keep their exact value (as Value::NumberText);
// of repeated member names the last wins. With `keep`, of objects only the members it
// names are built (the rest is validated and skipped). On malformed JSON returns false
// with the cursor's error set.
bool ReadJsonValue(json::JsonCursor& cursor, Value* out, const InputPaths* keep = nullptr);

// The whole of `text` as one value (only what `keep` names, as above); InvalidArgument
// "<what>: at byte N: expected ..." when it is not exactly one JSON value.
Result<Value> ReadJsonValueText(std::string_view text, const std::string& what, const InputPaths* keep = nullptr);

}  // namespace oep::rego
