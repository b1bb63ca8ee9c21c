#include "util/text_table.h"

#include <algorithm>
#include <cctype>

#include "util/display_text.h"

namespace oep {

TextTable::TextTable(std::vector<Column> columns, std::string indent)
    : columns_(std::move(columns)), indent_(std::move(indent)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render(size_t width) const {
  constexpr size_t kGap = 2, kMinWrap = 16;
  const size_t n = columns_.size();
  bool headers = std::any_of(columns_.begin(), columns_.end(), [](const Column& c) { return !c.header.empty(); });
  std::vector<size_t> widths(n, 0);
  for (size_t c = 0; c < n; ++c) {
    widths[c] = columns_[c].min_width;
    if (headers) widths[c] = std::max(widths[c], DisplayWidth(columns_[c].header));
    for (const auto& row : rows_) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  size_t total = DisplayWidth(indent_);
  for (size_t c = 0; c < n; ++c) total += widths[c] + (c ? kGap : 0);
  // Stacking columns leave the row, the last first, until it fits.
  std::vector<bool> stacked(n, false);
  for (size_t c = n; c-- > 1 && total > width;) {
    if (!columns_[c].stack) continue;
    stacked[c] = true;
    total -= widths[c] + kGap;
  }
  // Shrink the wrapping column to what the others leave of `width`.
  for (size_t c = 0; c < n; ++c) {
    if (stacked[c] || !columns_[c].wrap || total <= width) continue;
    size_t others = total - widths[c];
    widths[c] = std::max(kMinWrap, width > others ? width - others : 0);
    widths[c] = std::min(widths[c], total - others);
    break;
  }

  std::string out;
  auto emit = [&](const std::vector<std::vector<std::string>>& cell_lines) {
    size_t height = 1;
    for (const auto& l : cell_lines) height = std::max(height, l.size());
    for (size_t line = 0; line < height; ++line) {
      std::string text = indent_;
      bool first = true;
      for (size_t c = 0; c < n; ++c) {
        if (stacked[c]) continue;
        const std::string cell = line < cell_lines[c].size() ? cell_lines[c][line] : "";
        size_t pad = widths[c] > DisplayWidth(cell) ? widths[c] - DisplayWidth(cell) : 0;
        if (!first) text.append(kGap, ' ');
        first = false;
        if (columns_[c].align == Align::kRight) text.append(pad, ' ') += cell;
        else text += cell + std::string(pad, ' ');
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    }
  };
  auto lines_of = [&](const std::vector<std::string>& row) {
    std::vector<std::vector<std::string>> cell_lines(n);
    for (size_t c = 0; c < n; ++c) {
      if (columns_[c].wrap && DisplayWidth(row[c]) > widths[c]) cell_lines[c] = WrapText(row[c], widths[c]);
      else cell_lines[c] = {row[c]};
    }
    return cell_lines;
  };
  // The stacked cells of a row, on one line under it: "  header value  header value".
  auto emit_stacked = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t c = 0; c < n; ++c) {
      if (!stacked[c] || row[c].empty()) continue;
      std::string label = columns_[c].header;
      for (char& ch : label) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      text += (text.empty() ? "" : "  ") + label + (label.empty() ? "" : " ") + row[c];
    }
    if (!text.empty()) out += indent_ + "  " + text + "\n";
  };
  if (headers) {
    std::vector<std::string> header_row;
    for (const auto& c : columns_) header_row.push_back(c.header);
    emit(lines_of(header_row));
  }
  for (const auto& row : rows_) {
    emit(lines_of(row));
    emit_stacked(row);
  }
  return out;
}

std::string TextTable::RenderMarkdown() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const auto& c : cells) out += " " + c + " |";
    return out + "\n";
  };
  bool headers = std::any_of(columns_.begin(), columns_.end(), [](const Column& c) { return !c.header.empty(); });
  std::vector<std::string> header, rule;
  for (const auto& c : columns_) {
    header.push_back(c.header);
    rule.push_back(c.align == Align::kRight ? "---:" : "---");
  }
  size_t first = 0;
  if (!headers && !rows_.empty()) header = rows_[first++];
  std::string out = line(header) + line(rule);
  for (size_t r = first; r < rows_.size(); ++r) out += line(rows_[r]);
  return out;
}

std::string EscapeMarkdown(std::string_view text) {
  const std::string escaped = EscapeForTerminal(text);
  auto word = [&](size_t i) { return i < escaped.size() && std::isalnum(static_cast<unsigned char>(escaped[i])); };
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    // An underscore inside a word (snake_case ids) is never emphasis: left as it is.
    bool inner_underscore = c == '_' && i > 0 && word(i - 1) && word(i + 1);
    if (!inner_underscore && std::string_view("\\`*_[]<>|~&").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string MarkdownCode(std::string_view text) {
  // A '|' would end a table cell even inside a code span: escaped text instead.
  if (text.empty() || text.find_first_of("`|") != std::string_view::npos || EscapeForTerminal(text) != text) {
    return EscapeMarkdown(text);
  }
  return "`" + std::string(text) + "`";
}

}  // namespace oep
