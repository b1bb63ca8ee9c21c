#include "support/store_backends.h"

#include <iostream>
#include <mutex>

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

}  // namespace oep::test
