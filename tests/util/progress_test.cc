#include <catch2/catch.hpp>

#include <unistd.h>

#include "util/progress.h"

using namespace oep;

TEST_CASE("progress reads done/total, rate and time left", "[progress]") {
  CHECK(FormatProgress("impact", "decisions", 4500, 10002, 0.5) ==
        "impact: 4,500/10,002 decisions (44%), 9,000/s, 1s left");
  CHECK(FormatProgress("impact", "decisions", 1000, 0, 2) == "impact: 1,000 decisions, 500/s");
  CHECK(FormatProgress("verify", "entries", 0, 100, 0) == "verify: 0/100 entries (0%)");
  CHECK(FormatProgress("import", "events", 10, 1000000, 1) == "import: 10/1,000,000 events (0%), 10/s, 27h46m left");
}

TEST_CASE("progress is silent when its stream is not a terminal", "[progress]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    Progress p(fds[1], "impact", "decisions", 10);
    CHECK_FALSE(p.enabled());
    p.Update(5);
    p.Finish();
  }
  ::close(fds[1]);
  char c;
  CHECK(::read(fds[0], &c, 1) == 0);
  ::close(fds[0]);
}
