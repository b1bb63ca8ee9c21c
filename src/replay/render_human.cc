// The incident view for a terminal: blocks of labelled fields and tables at a width.
#include <algorithm>

#include "replay/incident_blocks.h"
#include "replay/replay.h"
#include "util/display_text.h"
#include "util/text_table.h"

namespace oep {

std::string RenderReplayHuman(const rapidjson::Value& record, const IncidentViewOptions& options) {
  constexpr size_t kLabelWidth = 10;
  std::string out;
  auto esc = [](const std::string& s) { return EscapeForTerminal(s); };
  for (const auto& block : incident::BuildIncidentBlocks(record, options)) {
    for (const auto& line : WrapText(esc(block.heading), options.width)) out += line + "\n";
    if (!block.fields.empty()) {
      size_t label_width = kLabelWidth;
      for (const auto& f : block.fields) label_width = std::max(label_width, DisplayWidth(esc(f.label)));
      // What a one-line summary may take: the width less the indent, label and gap.
      size_t room = options.width > label_width + 4 ? options.width - label_width - 4 : 16;
      TextTable fields({{"", TextTable::Align::kLeft, false, kLabelWidth}, {"", TextTable::Align::kLeft, true}}, "  ");
      for (const auto& f : block.fields) fields.AddRow({esc(f.label), f.one_line ? Truncate(esc(f.value), room) : esc(f.value)});
      out += fields.Render(options.width);
    }
    if (!block.table.rows.empty()) {
      std::vector<TextTable::Column> columns;
      for (size_t c = 0; c < block.table.headers.size(); ++c) {
        columns.push_back({block.table.headers[c],
                           block.table.right[c] ? TextTable::Align::kRight : TextTable::Align::kLeft,
                           c == block.table.wrap_column});
      }
      TextTable table(std::move(columns), "  ");
      for (const auto& row : block.table.rows) {
        std::vector<std::string> cells;
        for (const auto& cell : row) cells.push_back(esc(cell));
        table.AddRow(std::move(cells));
      }
      out += table.Render(options.width);
    }
    if (!block.preformatted.empty()) {
      std::string text = EscapeForTerminal(block.preformatted, true);
      for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out += "  " + text.substr(start, end - start) + "\n";
        start = end + 1;
      }
    }
    for (const auto& note : block.notes) {
      for (const auto& line : WrapText(esc(note), options.width - 2)) out += "  " + line + "\n";
    }
  }
  return out;
}

}  // namespace oep
