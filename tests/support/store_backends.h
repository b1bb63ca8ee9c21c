// The store backends a test suite runs on: SQLite always, PostgreSQL (a throwaway cluster,
// postgres_cluster.h) when it can be used here.
#pragma once

#include <string>
#include <vector>

#include "support/postgres_cluster.h"
#include "support/support.h"

namespace oep::test {

// The cluster, or nullptr after noting on stderr why the PostgreSQL test `test` is skipped.
PostgresCluster* PostgresOrSkip(const std::string& test);
// The backends the store suites run on: "sqlite" always, "postgresql" when a cluster is
// available (else a note on stderr, once, saying why it is skipped).
std::vector<std::string> StoreBackends();
// A fresh empty store of `backend`: a file in `dir` (sqlite) or a new database (postgresql).
std::string NewStoreUrl(const std::string& backend, const ScratchDir& dir);
// What shows a store was left exactly as it was: the SQLite file's sha256; for a
// PostgreSQL database its dump's digest and its oep_meta rows (format, application).
std::string StoreFingerprint(const std::string& url);
// Runs `sql` on the store as an attacker with write access would: SQLite with the
// append-only triggers dropped (TamperSql); PostgreSQL as the superuser with
// session_replication_role = replica (no triggers fire, no row-level security applies).
void TamperStoreSql(const std::string& url, const std::string& sql);
// Removes the store: the SQLite file, or the PostgreSQL database.
void DropStore(const std::string& url);

}  // namespace oep::test
