// The incident view as markdown, to paste into an incident document.
#include <algorithm>
#include <cctype>

#include "replay/incident_blocks.h"
#include "replay/replay.h"
#include "util/display_text.h"
#include "util/text_table.h"

namespace oep {
namespace {

// A fence longer than any run of backticks in `text`, so the text cannot close it.
std::string FenceFor(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

}  // namespace

std::string RenderReplayMarkdown(const rapidjson::Value& record, const IncidentViewOptions& options) {
  std::string out;
  bool first = true;
  for (const auto& block : incident::BuildIncidentBlocks(record, options)) {
    out += std::string(first ? "### " : "\n#### ") + EscapeMarkdown(block.heading) + "\n";
    first = false;
    if (!block.fields.empty()) {
      TextTable fields({{"field"}, {"value"}});
      for (const auto& f : block.fields) {
        fields.AddRow({EscapeMarkdown(f.label), f.code ? MarkdownCode(f.value) : EscapeMarkdown(f.value)});
      }
      out += "\n" + fields.RenderMarkdown();
    }
    if (!block.table.rows.empty()) {
      std::vector<TextTable::Column> columns;
      for (size_t c = 0; c < block.table.headers.size(); ++c) {
        std::string header = block.table.headers[c];
        std::transform(header.begin(), header.end(), header.begin(), [](unsigned char ch) { return std::tolower(ch); });
        columns.push_back({header.empty() ? " " : header,
                           block.table.right[c] ? TextTable::Align::kRight : TextTable::Align::kLeft});
      }
      TextTable table(std::move(columns));
      for (const auto& row : block.table.rows) {
        std::vector<std::string> cells;
        for (const auto& cell : row) cells.push_back(EscapeMarkdown(cell));
        table.AddRow(std::move(cells));
      }
      out += "\n" + table.RenderMarkdown();
    }
    if (!block.preformatted.empty()) {
      std::string text = EscapeForTerminal(block.preformatted, true);
      std::string fence = FenceFor(text);
      out += "\n" + fence + "json\n" + text + (text.back() == '\n' ? "" : "\n") + fence + "\n";
    }
    for (const auto& note : block.notes) out += "\n" + EscapeMarkdown(note) + "\n";
  }
  return out;
}

}  // namespace oep
