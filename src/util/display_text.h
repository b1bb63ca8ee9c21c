// Text as a terminal shows it: display width of UTF-8, escaping of what a terminal would
// interpret (so a policy's reason or an input field cannot move the cursor, recolour the
// screen or reorder the line), and wrapping to a width.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oep {

// Columns `text` takes on a terminal: one per code point, two for East Asian wide and
// full-width characters, none for combining marks and zero-width characters. Invalid
// UTF-8 counts one column per byte (EscapeForTerminal shows each as \xNN).
size_t DisplayWidth(std::string_view text);

// `text` with every C0 control (tab and newline included), DEL, C1 control and byte that
// is not valid UTF-8 written as \xNN, a backslash as \\, and the bidirectional
// overrides and isolates (U+202A..U+202E, U+2066..U+2069) and line/paragraph separators
// as \u{NNNN}. Printable text, "…" included, is kept as it is. With `keep_newlines`
// (preformatted text such as indented JSON), newlines pass and backslashes are not doubled.
std::string EscapeForTerminal(std::string_view text, bool keep_newlines = false);

// `text` (already escaped: no newlines) cut to at most `width` columns, ending in "…" when cut.
std::string Truncate(std::string_view text, size_t width);

// `text` broken into lines of at most `width` columns at spaces. A word longer than
// `width` (an id, a digest) stays whole on its own line, so it can still be copied.
// Never returns an empty vector.
std::vector<std::string> WrapText(std::string_view text, size_t width);

// The width to lay tables out for on `fd`: $COLUMNS when it is a whole number from 20 to
// 10000, else the terminal's width when `fd` is a terminal, else SIZE_MAX (a pipe or a
// file gets one line per row, for grep and awk).
size_t OutputColumns(int fd);

}  // namespace oep
