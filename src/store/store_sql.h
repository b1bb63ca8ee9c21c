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

// Store::RunFiguresOf over `n` run ids bound after the tenant: per run with steps, run_id,
// tool calls, denials, the sum of step costs, the largest run cost, the smallest and largest
// event_time as text, and 1 when text order is time order there (every event_time of the
// run ends in Z and has the same length), else 0. `budget_number(member)` is the backend's
// SQL for the number at budget.<member> of the event body `e.body` (NULL when not a number).
std::string RunFigures(size_t n, const std::function<std::string(std::string_view member)>& budget_number);
// run_id, event_time of every step of the `n` runs bound after the tenant (the runs whose
// text order is not time order).
std::string RunEventTimes(size_t n);
// run_id, count of the violations of the `n` runs bound after the tenant.
std::string RunViolations(size_t n);
// Widens `figures`' first and last event time by `event_time` (ignored when not RFC 3339).
void AddEventTime(const std::string& event_time, Store::RunFigures* figures);

// The API key columns, joined with their revocation ("" when valid).
inline constexpr const char* kKeyColumns =
    "SELECT k.key_id, k.tenant, k.role, k.key_hash, k.created_at, k.label, coalesce(r.revoked_at, '') "
    "FROM api_keys k LEFT JOIN api_key_revocations r ON r.key_id = k.key_id ";

// The `n` candidates closest to `id` by edit distance (ties by candidate order).
std::vector<std::string> Nearest(std::string_view id, std::vector<std::string> candidates, int n);
// Beyond this many rows, Nearest ranks only the lexicographic neighbours of the id.
inline constexpr int64_t kFullScanLimit = 200000;

// Retention (format 7), for a RetentionTable `t`. The tombstone of one row (binds
// deleted_at, retention_id, tenant, id), copied from the row itself so that its hash is the
// row's digest; then the row's delete (binds tenant, id).
std::string InsertTombstone(const RetentionTable& t);
std::string DeleteTombstoned(const RetentionTable& t);
// id, time of every row of the tenant (binds tenant), in id order.
std::string RowTimes(const RetentionTable& t);
// The tombstones of the tenant (binds tenant, then the table when `one_table`, then the id
// when `one_id`).
std::string TombstoneRows(bool one_table, bool one_id = false);
// The condition under which a DELETE of `t`'s row OLD is accepted: its tombstone, with its
// content hash, written under the retention run open in this transaction.
std::string TombstonedInThisTransaction(const RetentionTable& t);

// Store::RunSteps (binds tenant, run id, after step, limit): step, event_id, digest, the
// event's body ('' when tombstoned), 1 when tombstoned. A step whose event neither is stored
// nor has a tombstone is not listed. `with_tombstones`: format 7 on.
std::string RunStepsWithTombstones(bool with_tombstones);

// Newline-joined tags back to a list.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace oep::store_sql
