// Tables for people at a terminal: columns aligned by display width (util/display_text.h),
// numbers right-aligned, and one column (the last left-aligned one by default, usually a
// reason or a name) wrapped under itself when the table would pass the width, instead
// of pushing the next column out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oep {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;  // "" for every column: no header line
    Align align = Align::kLeft;
    bool wrap = false;  // this column's cells wrap under it when the row is too wide
    size_t min_width = 0;
    // When the row is wider than the width, this column leaves the row for a line under
    // it ("  header value", headers lower-cased), last such column first, until the row fits.
    bool stack = false;
  };

  explicit TextTable(std::vector<Column> columns, std::string indent = "");
  // Cells are shown as given (escape untrusted text with EscapeForTerminal first); a row
  // shorter than the columns is padded with empty cells.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Columns separated by two spaces, no trailing spaces; stacking columns move under their
  // row (see Column::stack); then a wrapping column gets what is left of `width` (at least
  // 16 columns) and continues on the next lines under itself. SIZE_MAX: no width limit.
  std::string Render(size_t width = 80) const;
  // The same as a GitHub-flavoured markdown table (cells as given: escape them with
  // EscapeMarkdown or MarkdownCode); without headers, the first row is the header.
  std::string RenderMarkdown() const;

 private:
  std::vector<Column> columns_;
  std::string indent_;
  std::vector<std::vector<std::string>> rows_;
};

// Untrusted text for a markdown document: escaped for the terminal (display_text.h), then
// with the characters markdown would read as markup (\ ` * _ [ ] < > | ~ &) escaped.
std::string EscapeMarkdown(std::string_view text);
// `text` as a code span when that is safe (no backtick or pipe, nothing to escape), else EscapeMarkdown.
std::string MarkdownCode(std::string_view text);

}  // namespace oep
