#include <catch2/catch.hpp>

#include "util/subprocess.h"

using oep::RunProcess;

TEST_CASE("a child's output, stdin and exit code come back", "[subprocess]") {
  auto r = RunProcess({"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}, {}, "hello\n");
  REQUIRE(r.ok());
  CHECK(r->out == "hello\n");
  CHECK(r->err == "oops\n");
  CHECK(r->exit_code == 3);
  CHECK_FALSE(r->timed_out);
}

TEST_CASE("extra environment reaches the child", "[subprocess]") {
  auto r = RunProcess({"/bin/sh", "-c", "printf %s \"$OEP_TEST_VAR\""}, {"OEP_TEST_VAR=yes"});
  REQUIRE(r.ok());
  CHECK(r->out == "yes");
}

TEST_CASE("a timeout kills the whole process group", "[subprocess]") {
  // The grandchild sleeps too: killing only the child would leave the pipes open and
  // RunProcess would not return until the grandchild exits.
  auto r = RunProcess({"/bin/sh", "-c", "sleep 30 & sleep 30"}, {}, "", 0.2);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->exit_code == 128 + 9);
}

TEST_CASE("a missing program exits 127", "[subprocess]") {
  auto r = RunProcess({"/nonexistent/program"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 127);
}

TEST_CASE("large output does not deadlock", "[subprocess]") {
  auto r = RunProcess({"/bin/sh", "-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2"});
  REQUIRE(r.ok());
  CHECK(r->out.size() == 3000000);
  CHECK(r->err.size() == 3000000);
}
