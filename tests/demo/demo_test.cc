#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/store_backends.h"
#include "support/support.h"

using namespace oep::test;

TEST_CASE("demo publishes its store at OEP_DEMO_STATE_PATH", "[demo]") {
  ScratchDir dir;
  std::string store = dir / "nested/demo.sqlite";
  RunResult r = RunOep({"demo"}, {"OEP_DEMO_STATE_PATH=" + store});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 decisions"));
  CHECK_FALSE(FileSha256(store).empty());
  // Only the published file remains: no temporary siblings.
  int leftovers = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "nested")) {
    leftovers += e.path().string().find(".tmp-") != std::string::npos;
  }
  CHECK(leftovers == 0);
}

TEST_CASE("demo regeneration replaces the store with identical content", "[demo]") {
  ScratchDir dir;
  std::string store = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  MakeDemoStore(store);
  std::string first = RunOep({"dump", "--digest", "--store", store}).out;
  MakeDemoStore(store);
  CHECK(RunOep({"dump", "--digest", "--store", store}).out == first);
}

TEST_CASE("synthetic stores replay and verify", "[demo]") {
  ScratchDir dir;
  std::string backend = GENERATE(from_range(StoreBackends()));
  std::string store = NewStoreUrl(backend, dir);
  RunResult r = RunOep({"demo", "--decisions", "25", "--store", store});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("27 decisions"));
  RunResult v = RunOep({"verify", "--store", store});
  INFO(v.out);
  CHECK(v.exit_code == 0);
  RunResult replay = RunOep({"replay", "pder_syn_00000018", "--store", store, "--field", "evidence.span"});
  CHECK(replay.out == "\"present\"\n");
  // Same seed, same store; another seed, another store.
  std::string again = NewStoreUrl(backend, dir), other = NewStoreUrl(backend, dir);
  REQUIRE(RunOep({"demo", "--decisions", "25", "--store", again}).exit_code == 0);
  REQUIRE(RunOep({"demo", "--decisions", "25", "--seed", "7", "--store", other}).exit_code == 0);
  std::string d1 = RunOep({"dump", "--digest", "--store", store}).out;
  CHECK(RunOep({"dump", "--digest", "--store", again}).out == d1);
  CHECK(RunOep({"dump", "--digest", "--store", other}).out != d1);
}

TEST_CASE("demo fills an empty PostgreSQL database with the rows of the SQLite demo store", "[demo][postgres]") {
  if (PostgresOrSkip("demo on PostgreSQL") == nullptr) return;
  ScratchDir dir;
  std::string sqlite = NewStoreUrl("sqlite", dir), postgres = NewStoreUrl("postgresql", dir);
  MakeDemoStore(sqlite);
  RunResult r = RunOep({"demo", "--store", postgres});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("demo store " + postgres + ": ") && Catch::Contains("2 decisions"));
  CHECK(RunOep({"dump", "--store", postgres}).out == RunOep({"dump", "--store", sqlite}).out);
  // Marked as generated: the next oep demo may fill it again.
  CHECK(PostgresCluster::Get()->Sql(DatabaseOf(postgres), "SELECT value FROM oep_meta WHERE key = 'application'") ==
        "OEPD\n");
}

TEST_CASE("demo on PostgreSQL refuses a database holding other evidence or tables and leaves it as it was", "[demo][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip("demo refusals on PostgreSQL");
  if (c == nullptr) return;
  ScratchDir dir;
  std::string evidence = c->NewDatabase();
  REQUIRE(RunOep({"ingest", "--store", evidence, RepoRoot() + "/manifest/examples"}).exit_code == 0);
  std::string before = StoreFingerprint(evidence);
  RunResult r = RunOep({"demo", "--store", evidence});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(evidence + ": an evidence store oep demo did not generate"));
  CHECK(StoreFingerprint(evidence) == before);
  std::string foreign = c->NewDatabase();
  c->Sql(DatabaseOf(foreign), "CREATE TABLE t (x INT)");
  RunResult app = RunOep({"demo", "--store", foreign});
  CHECK(app.exit_code == 2);
  CHECK_THAT(app.err, Catch::Contains("not an oep evidence store (has tables, no oep_meta); left untouched"));
  CHECK(c->Sql(DatabaseOf(foreign), "SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE "
                                    "table_schema = 'public'") == "t\n");
}

namespace {

// `oep demo --state-path path` is refused with `expected`, leaving `path` as it was.
void DemoRefused(const std::string& path, const std::string& expected) {
  CheckRefusedUntouched({"demo", "--state-path", path}, path, expected);
}

}  // namespace

TEST_CASE("demo never replaces what it did not generate", "[demo][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "notes.txt", "my notes");
  DemoRefused(dir / "notes.txt", "not a store oep demo generated");
  ExecSql(dir / "app.db", "CREATE TABLE t(x); PRAGMA user_version = 1");
  DemoRefused(dir / "app.db", "not a store oep demo generated");
  // An evidence store that ingest made (it may hold seals) is not the demo's to replace.
  REQUIRE(RunOep({"ingest", "--state-path", dir / "evidence.sqlite", RepoRoot() + "/manifest/examples"}).exit_code == 0);
  DemoRefused(dir / "evidence.sqlite", "an evidence store oep demo did not generate");
  // An unmarked store from before stores were marked, away from the default demo path.
  MakeDemoStore(dir / "old.sqlite");
  ExecSql(dir / "old.sqlite", "PRAGMA application_id = 0");
  DemoRefused(dir / "old.sqlite", "an evidence store oep demo did not generate");
}

TEST_CASE("demo never writes through a symbolic link", "[demo][bad-input]") {
  ScratchDir dir;
  MakeDemoStore(dir / "target.sqlite");  // even a demo store behind the link
  std::filesystem::create_symlink(dir / "target.sqlite", dir / "link.sqlite");
  DemoRefused(dir / "link.sqlite", "a symbolic link");
  CHECK(std::filesystem::is_symlink(dir / "link.sqlite"));
  std::filesystem::create_symlink(dir / "nowhere.sqlite", dir / "dangling.sqlite");
  DemoRefused(dir / "dangling.sqlite", "a symbolic link");
  CHECK_FALSE(std::filesystem::exists(dir / "nowhere.sqlite"));
}

TEST_CASE("demo replaces a demo store, also after evidence was ingested into it", "[demo]") {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  MakeDemoStore(store);
  std::string dump = RunOep({"dump", "--digest", "--state-path", store}).out;
  REQUIRE(RunOep({"ingest", "--state-path", store, RepoRoot() + "/events/examples"}).exit_code == 0);
  RunResult r = RunOep({"demo", "--state-path", store});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(RunOep({"dump", "--digest", "--state-path", store}).out == dump);
}

TEST_CASE("demo removes the temporary stores of killed runs, not those of running ones", "[demo]") {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  REQUIRE(dead > 0);
  waitpid(dead, nullptr, 0);
  std::string stale = store + ".tmp-" + std::to_string(dead) + "-0-1";
  std::string live = store + ".tmp-" + std::to_string(getpid()) + "-0-1";
  for (const std::string& f : {stale, stale + "-wal", live}) WriteText(f, "left by a run");
  WriteText(dir / "other.sqlite.tmp-" + std::to_string(dead) + "-0-1", "another store's");
  RunResult r = RunOep({"demo", "--state-path", store});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK_FALSE(std::filesystem::exists(stale + "-wal"));
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(dir / "other.sqlite.tmp-" + std::to_string(dead) + "-0-1"));
}

TEST_CASE("demo replaces an unmarked store from before stores were marked at its default path", "[demo]") {
  ScratchDir home;  // a repository root of its own: the scenario's example folders
  for (const char* sub : {"manifest/examples", "events/examples", "permissions/examples", "traces/examples",
                          "playbooks/examples"}) {
    std::filesystem::create_directories(home / sub);
    std::filesystem::copy(RepoRoot() + "/" + sub, home / sub);
  }
  std::string store = home / "demo/state/code_review_agent.sqlite";
  RunResult r = RunOep({"demo"}, {"OEP_HOME=" + home.path(), "OEP_DEMO_STATE_PATH="});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  ExecSql(store, "PRAGMA application_id = 0");
  r = RunOep({"demo"}, {"OEP_HOME=" + home.path(), "OEP_DEMO_STATE_PATH="});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}
