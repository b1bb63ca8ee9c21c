// Private to replay/: the incident view of a replay record as blocks (a heading, labelled
// fields, a table, notes, preformatted text) that render_human.cc and render_markdown.cc
// lay out, so both formats show the same facts in the same order. Strings are raw here:
// each renderer escapes them for its medium.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "replay/replay.h"

namespace oep::incident {

struct Field {
  std::string label, value;
  bool code = false;      // an identifier or digest: a code span in markdown
  bool one_line = false;  // a summary: cut to one line (human) rather than wrapped
};

struct Table {
  std::vector<std::string> headers;
  std::vector<bool> right;  // per column: right-aligned (counts)
  std::vector<std::vector<std::string>> rows;
  size_t wrap_column = SIZE_MAX;  // the column that wraps under itself (human)
};

struct Block {
  std::string heading;
  std::vector<Field> fields;
  Table table;
  std::vector<std::string> notes;  // one paragraph each
  std::string preformatted;        // JSON shown as it is (--full)
};

// The incident view of `record` (a decision replay record), verdict first.
std::vector<Block> BuildIncidentBlocks(const rapidjson::Value& record, const IncidentViewOptions& options);

}  // namespace oep::incident
