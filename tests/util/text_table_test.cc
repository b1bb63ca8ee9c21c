#include <catch2/catch.hpp>

#include "util/text_table.h"

using namespace oep;
using Align = TextTable::Align;

TEST_CASE("columns align by display width, counts to the right", "[text_table]") {
  TextTable t({{"NAME"}, {"DIGEST"}, {"N", Align::kRight}});
  t.AddRow({"model", "sha256:689b…", "7"});
  t.AddRow({"data_state", "sha256:7a3f…", "1234"});
  CHECK(t.Render() ==
        "NAME        DIGEST           N\n"
        "model       sha256:689b…     7\n"
        "data_state  sha256:7a3f…  1234\n");
}

TEST_CASE("a long reason wraps under its column instead of pushing the next", "[text_table]") {
  TextTable t({{"RULE"}, {"REASON", Align::kLeft, true}, {"N", Align::kRight}}, "  ");
  t.AddRow({"deny_write", "writes to the repository need a recorded human approval before they run", "12"});
  t.AddRow({"allow_read", "short", "3"});
  std::string out = t.Render(50);
  CHECK(out ==
        "  RULE        REASON                             N\n"
        "  deny_write  writes to the repository need a   12\n"
        "              recorded human approval before\n"
        "              they run\n"
        "  allow_read  short                              3\n");
  for (size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    CHECK(end - start <= 50);
  }
}

TEST_CASE("stacking columns move under their row, the last first, only as far as needed", "[text_table]") {
  auto left = Align::kLeft;
  TextTable t({{"ID"}, {"STATUS", left, false, 0, true}, {"N", Align::kRight}, {"RELEASE", left, false, 0, true}});
  t.AddRow({"run_0001", "completed", "12", "rmf_release_v1"});
  t.AddRow({"run_0002", "failed", "3", ""});
  CHECK(t.Render() ==
        "ID        STATUS      N  RELEASE\n"
        "run_0001  completed  12  rmf_release_v1\n"
        "run_0002  failed      3\n");
  CHECK(t.Render(30) ==
        "ID        STATUS      N\n"
        "run_0001  completed  12\n"
        "  release rmf_release_v1\n"
        "run_0002  failed      3\n");
  CHECK(t.Render(20) ==
        "ID         N\n"
        "run_0001  12\n"
        "  status completed  release rmf_release_v1\n"
        "run_0002   3\n"
        "  status failed\n");
}

TEST_CASE("a table without headers prints rows only, markdown escapes nothing itself", "[text_table]") {
  TextTable t({{"", Align::kLeft, false, 6}, {""}});
  t.AddRow({"rule", "x"});
  CHECK(t.Render() == "rule    x\n");
  TextTable m({{"tool"}, {"changed", Align::kRight}});
  m.AddRow({"read_diff", "1"});
  CHECK(m.RenderMarkdown() == "| tool | changed |\n| --- | ---: |\n| read_diff | 1 |\n");
}

TEST_CASE("MarkdownCode makes a code span only when nothing in it could break a table cell", "[text_table]") {
  CHECK(oep::MarkdownCode("pder_x") == "`pder_x`");
  CHECK(oep::MarkdownCode("a|b") == "a\\|b");  // a pipe ends a GFM cell even inside backticks
  CHECK(oep::MarkdownCode("a`b") == "a\\`b");
}
