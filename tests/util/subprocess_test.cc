#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>

#include "util/subprocess.h"

using oep::ProcessLimits;
using oep::QuoteChildOutput;
using oep::RunProcess;

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// True when `pid` is still a process; kills it then, so a failing test leaves nothing behind.
bool AliveThenKill(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  ::kill(pid, SIGKILL);
  return true;
}

}  // namespace

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

TEST_CASE("the timeout fires when the child closes its output and keeps running", "[subprocess]") {
  auto start = std::chrono::steady_clock::now();
  auto r = RunProcess({"/bin/sh", "-c", "exec >&- 2>&-; sleep 30"}, {}, "", 0.3);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(SecondsSince(start) < 10);
}

TEST_CASE("the timeout fires when the child never reads a large stdin", "[subprocess]") {
  auto start = std::chrono::steady_clock::now();
  auto r = RunProcess({"/bin/sleep", "30"}, {}, std::string(4u << 20, 'x'), 0.3);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(SecondsSince(start) < 10);
}

TEST_CASE("a child that exits without reading stdin does not kill the caller with SIGPIPE", "[subprocess]") {
  auto r = RunProcess({"/bin/sh", "-c", "exec 0<&-; echo done"}, {}, std::string(4u << 20, 'x'), 10);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->out == "done\n");
}

TEST_CASE("an answer is kept when a background descendant holds the pipe open", "[subprocess]") {
  auto start = std::chrono::steady_clock::now();
  auto r = RunProcess({"/bin/sh", "-c", "echo answer; sleep 30 & exit 0"}, {}, "", 20);
  REQUIRE(r.ok());
  CHECK_FALSE(r->timed_out);
  CHECK(r->pipes_held_open);
  CHECK(r->exit_code == 0);
  CHECK(r->out == "answer\n");
  CHECK(SecondsSince(start) < 5);
}

TEST_CASE("a descendant that left the session with setsid does not survive", "[subprocess]") {
  // The sleeper gets its own session and process group, so killing the child's group misses
  // it; its output goes elsewhere, so nothing waits for it either.
  auto r = RunProcess({"/bin/sh", "-c", "setsid sleep 30 >/dev/null 2>&1 </dev/null & echo $!"}, {}, "", 20);
  REQUIRE(r.ok());
  pid_t sleeper = static_cast<pid_t>(std::stol(r->out));
  CHECK_FALSE(AliveThenKill(sleeper));
}

TEST_CASE("a double-forked daemon in a new session does not survive a timeout", "[subprocess]") {
  auto r = RunProcess({"/bin/sh", "-c", "(setsid sh -c 'echo $$ >&2; exec sleep 30' >/dev/null </dev/null &); sleep 30"}, {},
                      "", 0.5);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  REQUIRE_FALSE(r->err.empty());
  CHECK_FALSE(AliveThenKill(static_cast<pid_t>(std::stol(r->err))));
}

TEST_CASE("output past its cap is not read: the child is killed and the overflow flagged", "[subprocess]") {
  ProcessLimits l;
  l.max_stdout_bytes = 1u << 20;
  l.max_stderr_bytes = 100;
  auto r = RunProcess({"/bin/sh", "-c", "echo small >&2; exec head -c 100000000 /dev/zero"}, {}, "", l);
  REQUIRE(r.ok());
  CHECK(r->stdout_overflow);
  CHECK(r->out.size() == (1u << 20));
  CHECK_FALSE(r->stderr_overflow);
  CHECK(r->err == "small\n");
  auto e = RunProcess({"/bin/sh", "-c", "head -c 5000 /dev/zero >&2"}, {}, "", l);
  REQUIRE(e.ok());
  CHECK(e->stderr_overflow);
  CHECK(e->err.size() == 100);
}

TEST_CASE("a program that cannot be executed is an error naming it and why", "[subprocess]") {
  auto r = RunProcess({"/nonexistent/program"});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("/nonexistent/program") && Catch::Contains("No such file"));
  auto dir = RunProcess({"/tmp"});
  REQUIRE_FALSE(dir.ok());
  CHECK_THAT(dir.status().message(), Catch::Contains("Permission denied"));
}

TEST_CASE("large output does not deadlock", "[subprocess]") {
  auto r = RunProcess({"/bin/sh", "-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2"});
  REQUIRE(r.ok());
  CHECK(r->out.size() == 3000000);
  CHECK(r->err.size() == 3000000);
}

TEST_CASE("quoted child output cannot drive the terminal", "[subprocess]") {
  CHECK(QuoteChildOutput("\x1b[31mred\x07 ok") == "\\x1b[31mred\\x07 ok");
  CHECK(QuoteChildOutput("a\nb\tc\rd\x7f") == "a\\nb\\tc\\rd\\x7f");
  CHECK(QuoteChildOutput("\xc2\x9b" "2J") == "\\xc2\\x9b2J");       // C1 CSI
  CHECK(QuoteChildOutput("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");  // UTF-8 kept
  CHECK(QuoteChildOutput("\xff\xc3") == "\\xff\\xc3");               // not UTF-8
  CHECK(QuoteChildOutput("abcdef", 3) == "abc…");
  CHECK(QuoteChildOutput(std::string(2000, '\0')).size() < 1010);  // the bound is on what is printed
}
