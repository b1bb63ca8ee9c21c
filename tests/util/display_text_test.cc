#include <catch2/catch.hpp>

#include "util/display_text.h"
#include "util/text_table.h"

using namespace oep;

TEST_CASE("display width counts columns, not bytes", "[display_text]") {
  CHECK(DisplayWidth("abc") == 3);
  CHECK(DisplayWidth("sha256:689b…") == 12);  // "…" is three bytes, one column
  CHECK(DisplayWidth("é") == 1);
  CHECK(DisplayWidth("e\xcc\x81") == 1);  // e + combining acute
  CHECK(DisplayWidth("日本") == 4);        // wide characters take two
  CHECK(DisplayWidth("\xff") == 1);       // invalid UTF-8: one per byte
}

TEST_CASE("terminal escaping defuses control characters and bidi overrides", "[display_text]") {
  CHECK(EscapeForTerminal("plain … text") == "plain … text");
  CHECK(EscapeForTerminal("red\x1b[31m") == "red\\x1b[31m");
  CHECK(EscapeForTerminal("a\nb\tc\rd") == "a\\x0ab\\x09c\\x0dd");
  CHECK(EscapeForTerminal("del\x7f") == "del\\x7f");
  CHECK(EscapeForTerminal("c1\xc2\x9b") == "c1\\x9b");
  CHECK(EscapeForTerminal("bidi\xe2\x80\xae") == "bidi\\u{202E}");
  CHECK(EscapeForTerminal("bad\xff\xc3") == "bad\\xff\\xc3");
  CHECK(EscapeForTerminal("back\\slash") == "back\\\\slash");
  CHECK(EscapeForTerminal("{\n  \"a\": \"\\u001b\"\n}", true) == "{\n  \"a\": \"\\u001b\"\n}");
}

TEST_CASE("truncation and wrapping work in columns", "[display_text]") {
  CHECK(Truncate("abcdef", 6) == "abcdef");
  CHECK(Truncate("abcdef", 4) == "abc…");
  CHECK(DisplayWidth(Truncate("日本語のテキスト", 5)) <= 5);
  CHECK(WrapText("one two three four", 9) == std::vector<std::string>{"one two", "three", "four"});
  CHECK(WrapText("", 9) == std::vector<std::string>{""});
  // An id longer than the width stays whole so it can be copied.
  CHECK(WrapText("see sha256:0123456789abcdef now", 8) ==
        std::vector<std::string>{"see", "sha256:0123456789abcdef", "now"});
}

TEST_CASE("markdown escaping keeps snake_case and escapes markup", "[display_text]") {
  CHECK(EscapeMarkdown("deny_write_without_approval") == "deny_write_without_approval");
  CHECK(EscapeMarkdown("_em_ *b* `c` a|b <x> [l]") == "\\_em\\_ \\*b\\* \\`c\\` a\\|b \\<x\\> \\[l\\]");
  CHECK(EscapeMarkdown("esc\x1b") == "esc\\\\x1b");
  CHECK(MarkdownCode("pder_1") == "`pder_1`");
  CHECK(MarkdownCode("a`b") == "a\\`b");
  CHECK(MarkdownCode("a\x1b") == "a\\\\x1b");
}
