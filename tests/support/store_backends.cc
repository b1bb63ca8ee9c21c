#include "support/store_backends.h"

#include <iostream>
#include <mutex>
#include <stdexcept>

#include "store/store.h"

namespace oep::test {

PostgresCluster* PostgresOrSkip(const std::string& test) {
  std::string why;
  PostgresCluster* c = PostgresCluster::Get(&why);
  if (c == nullptr) std::cerr << "note: PostgreSQL test skipped (" << test << "): " << why << "\n";
  return c;
}

std::vector<std::string> StoreBackends() {
  std::string why;
  if (PostgresCluster::Get(&why) != nullptr) return {"sqlite", "postgresql"};
  static std::once_flag once;
  std::call_once(once, [&] { std::cerr << "note: PostgreSQL store tests skipped: " << why << "\n"; });
  return {"sqlite"};
}

std::string NewStoreUrl(const std::string& backend, const ScratchDir& dir) {
  if (backend == "postgresql") return PostgresCluster::Get()->NewDatabase();
  static int n = 0;
  return "sqlite:" + (dir / ("store" + std::to_string(++n) + ".sqlite"));
}

std::string StoreFingerprint(const std::string& url) {
  if (!IsPostgresUrl(url)) return FileSha256(SqliteFilePath(url));
  RunResult dump = RunOep({"dump", "--digest", "--store", url});
  if (dump.exit_code != 0) throw std::runtime_error("oep dump: " + dump.err);
  return dump.out + PostgresCluster::Get()->Sql(DatabaseOf(url), "SELECT key, value FROM oep_meta ORDER BY key");
}

void TamperStoreSql(const std::string& url, const std::string& sql) {
  if (!IsPostgresUrl(url)) return TamperSql(SqliteFilePath(url), sql);
  PostgresCluster::Get()->Sql(DatabaseOf(url), "SET session_replication_role = replica; " + sql);
}

void DropStore(const std::string& url) {
  if (!IsPostgresUrl(url)) return RemoveStoreFiles(url);
  PostgresCluster::Get()->Sql("postgres", "DROP DATABASE " + DatabaseOf(url));
}

}  // namespace oep::test
