// Reading a few member values out of JSON text without building a document: for scans that
// need two or three fields of every stored row (drift, cost traces).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oep::json {

struct Picked {
  bool found = false, is_string = false, is_number = false;
  std::string text;   // the string's value
  double number = 0;  // the number's value
};

// The values at `paths` (dotted member paths through objects only, "decision_id.cost.x";
// members inside arrays never match), in `paths` order. False when `text` is not valid JSON;
// a path at a value that is neither a string nor a number is found with neither flag.
bool PickFields(std::string_view text, const std::vector<std::string>& paths, std::vector<Picked>* out);

}  // namespace oep::json
