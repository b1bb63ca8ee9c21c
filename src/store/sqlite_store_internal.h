// Private to src/store: the prepared-statement cache and the SQLite-to-Status edge shared
// by store.cc and the files holding the store's tenancy, runs and audit tables.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/sqlite_store.h"

namespace oep {

// Turns a SQLite failure into the project's error type at the store's edge.
Status FromException(const std::exception& e, const std::string& what);

std::string InsertSql(const KindSpec& spec);

struct SqliteStore::Statements {
  explicit Statements(SQLite::Database& db) : db_(db) {}
  // The insert statement of a kind, prepared once (the ingest hot path).
  SQLite::Statement& Insert(const KindSpec& spec) {
    auto& slot = inserts[static_cast<size_t>(spec.kind)];
    if (!slot) slot = std::make_unique<SQLite::Statement>(db_, InsertSql(spec));
    slot->reset();
    slot->clearBindings();
    return *slot;
  }
  std::unique_ptr<SQLite::Statement> inserts[kArtifactKindCount];
  // `sql` prepared once per connection, reset and unbound.
  SQLite::Statement& Get(const std::string& sql) {
    auto it = cache.find(sql);
    if (it == cache.end()) it = cache.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
    it->second->reset();
    it->second->clearBindings();
    return *it->second;
  }
  // Resets every cached statement: a statement left mid-result (a single-row read) keeps
  // the connection's read snapshot open, so later reads would not see other writers and a
  // write would fail as busy. Never called while a cached statement is being iterated.
  void ResetAll() {
    for (auto& slot : inserts) {
      if (slot) slot->reset();
    }
    for (auto& [sql, q] : cache) q->reset();
  }
  SQLite::Database& db_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> cache;
};

// The triggers refusing UPDATE and DELETE on `table`.
std::string AppendOnlyTriggers(const std::string& table);

// Step v6 -> v7: tombstones and the retention tables' DELETE triggers (sqlite_store_retention.cc).
std::string SchemaV7();

// The DDL of format 3's tenancy, runs, audit and policy tables (with their triggers).
std::string TenancyTablesDdl();

}  // namespace oep
