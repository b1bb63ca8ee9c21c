// Private to src/store: what the SQLite and PostgreSQL stores share — the filters' SQL
// ('?' placeholders, bound in order), the nearest-id ranking and small row helpers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace oep::store_sql {

// " AND ..." clauses of a decision filter; appends the values they bind, in order.
std::string DecisionFilter(const Store::DecisionFilter& f, std::vector<std::string>* args);

// The WHERE continuation of a run listing (after "WHERE r.tenant = ?"), through
// " ORDER BY ... LIMIT ?"; appends the values it binds, in order (not the limit).
std::string RunFilter(const oep::RunFilter& f, const std::optional<RunCursor>& after, std::vector<std::string>* args);

// The run listing of `oep runs`: stored traces and (`with_server_runs`, format 3 on) runs
// posted to the server, with their decision counts, newest first, through " LIMIT ?".
// `tenant(alias)` gives "<alias>.tenant = ? AND " (or "" for stores without tenants) and
// appends its value; appends the filter's values, in order (not the limit).
std::string RecentRuns(const Store::RunListFilter& f, bool with_server_runs,
                       const std::function<std::string(std::string_view alias)>& tenant, std::vector<std::string>* args);

// The API key columns, joined with their revocation ("" when valid).
inline constexpr const char* kKeyColumns =
    "SELECT k.key_id, k.tenant, k.role, k.key_hash, k.created_at, k.label, coalesce(r.revoked_at, '') "
    "FROM api_keys k LEFT JOIN api_key_revocations r ON r.key_id = k.key_id ";

// The `n` candidates closest to `id` by edit distance (ties by candidate order).
std::vector<std::string> Nearest(std::string_view id, std::vector<std::string> candidates, int n);
// Beyond this many rows, Nearest ranks only the lexicographic neighbours of the id.
inline constexpr int64_t kFullScanLimit = 200000;

// Newline-joined tags back to a list.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace oep::store_sql
