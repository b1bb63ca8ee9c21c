#include "store/store_sql.h"

#include <algorithm>

#include "util/rfc3339.h"

namespace oep::store_sql {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace

std::string DecisionFilter(const Store::DecisionFilter& f, std::vector<std::string>* args) {
  std::string sql;
  auto add = [&](const std::string& value, const char* clause) {
    if (value.empty()) return;
    sql += clause;
    args->push_back(value);
  };
  add(f.since, " AND decision_time >= ?");
  add(f.until, " AND decision_time <= ?");
  add(f.tool, " AND tool_name = ?");
  add(f.actor, " AND actor_id = ?");
  add(f.trace_id, " AND trace_id = ?");
  if (f.allow) sql += *f.allow ? " AND allow = 1" : " AND allow = 0";
  return sql;
}

std::string RunFilter(const oep::RunFilter& f, const std::optional<RunCursor>& after, std::vector<std::string>* args) {
  std::string sql;
  auto add = [&](const std::string& value, const char* clause) {
    if (value.empty()) return;
    sql += clause;
    args->push_back(value);
  };
  if (after) {
    sql += " AND (r.created_at, r.run_id) > (?, ?)";
    args->push_back(after->created_at);
    args->push_back(after->run_id);
  }
  add(f.since, " AND r.created_at >= ?");
  add(f.until, " AND r.created_at <= ?");
  add(f.model, " AND r.model = ?");
  add(f.release, " AND r.release_manifest_id = ?");
  add(f.tag, " AND EXISTS (SELECT 1 FROM run_tags t WHERE t.tenant = r.tenant AND t.run_id = r.run_id AND t.tag = ?)");
  add(f.tool,
      " AND EXISTS (SELECT 1 FROM decisions d WHERE d.tenant = r.tenant AND d.trace_id = r.run_id AND d.tool_name = ?)");
  if (f.status == "finished" || f.status == "open") {
    sql += std::string(" AND ") + (f.status == "open" ? "NOT " : "") +
           "EXISTS (SELECT 1 FROM ledger l WHERE l.chain_id = r.chain_id AND l.kind = 'seal')";
  }
  return sql + " ORDER BY r.created_at, r.run_id LIMIT ?";
}

std::string RecentRuns(const Store::RunListFilter& f, bool with_server_runs,
                       const std::function<std::string(std::string_view alias)>& tenant, std::vector<std::string>* args) {
  std::string sql = "SELECT id, at, status, rel, (SELECT count(*) FROM decisions d WHERE " + tenant("d") +
                    "d.trace_id = id), (SELECT count(*) FROM decisions d WHERE " + tenant("d") +
                    "d.trace_id = id AND d.allow = 0) FROM (SELECT t.trace_id AS id, coalesce(t.started_at, '') AS at, "
                    "coalesce(t.status, '') AS status, coalesce(t.release_manifest_id, '') AS rel FROM traces t WHERE " +
                    tenant("t") + "1 = 1";
  if (with_server_runs) {
    sql += " UNION ALL SELECT r.run_id, r.created_at, CASE WHEN EXISTS (SELECT 1 FROM ledger l WHERE l.chain_id = "
           "r.chain_id AND l.kind = 'seal') THEN 'finished' ELSE 'open' END, coalesce(r.release_manifest_id, '') FROM "
           "runs r WHERE " + tenant("r") + "NOT EXISTS (SELECT 1 FROM traces t2 WHERE " + tenant("t2") +
           "t2.trace_id = r.run_id)";
  }
  sql += ") listing WHERE 1 = 1";
  auto add = [&](const std::string& value, const char* clause) {
    if (value.empty()) return;
    sql += clause;
    args->push_back(value);
  };
  add(f.since, " AND at >= ?");
  add(f.until, " AND at <= ?");
  if (!f.tool.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM decisions d WHERE " + tenant("d") + "d.trace_id = id AND d.tool_name = ?)";
    args->push_back(f.tool);
  }
  return sql + " ORDER BY at DESC, id DESC LIMIT ?";
}

std::string RunFigures(size_t n, const std::function<std::string(std::string_view member)>& budget_number) {
  // The step's packet as `oep diff` finds it: by permission_packet_ref, else by event_id.
  auto packet = [](const std::string& column) {
    return "coalesce((SELECT " + column + " FROM decisions d WHERE d.tenant = e.tenant AND d.decision_id = "
           "e.permission_packet_ref), (SELECT " + column + " FROM decisions d WHERE d.tenant = e.tenant AND d.event_id = "
           "e.event_id ORDER BY d.decision_id LIMIT 1), 0)";
  };
  return "SELECT run_id, sum(packet), sum(denied), sum(step_cost), max(run_cost), min(t), max(t), CASE WHEN "
         "min(length(t)) = max(length(t)) AND sum(CASE WHEN t LIKE '%Z' THEN 1 ELSE 0 END) = count(t) THEN 1 ELSE 0 END "
         "FROM (SELECT s.run_id AS run_id, e.event_time AS t, " + budget_number("step_cost_usd") + " AS step_cost, " +
         budget_number("run_cost_usd") + " AS run_cost, " + packet("1") + " AS packet, " +
         packet("CASE WHEN d.allow = 0 THEN 1 ELSE 0 END") + " AS denied FROM run_steps s JOIN events e ON e.tenant = "
         "s.tenant AND e.event_id = s.event_id WHERE s.tenant = ? AND s.run_id IN (" + Placeholders(n) + ")) steps "
         "GROUP BY run_id";
}

std::string RunEventTimes(size_t n) {
  return "SELECT s.run_id, e.event_time FROM run_steps s JOIN events e ON e.tenant = s.tenant AND e.event_id = "
         "s.event_id WHERE s.tenant = ? AND s.run_id IN (" + Placeholders(n) + ")";
}

std::string RunViolations(size_t n) {
  return "SELECT run_id, count(*) FROM violations WHERE tenant = ? AND run_id IN (" + Placeholders(n) + ") GROUP BY run_id";
}

void AddEventTime(const std::string& event_time, Store::RunFigures* f) {
  auto ns = ParseRfc3339Ns(event_time);
  if (!ns) return;
  f->first_event_ns = f->first_event_ns ? std::min(*f->first_event_ns, *ns) : *ns;
  f->last_event_ns = f->last_event_ns ? std::max(*f->last_event_ns, *ns) : *ns;
}

std::vector<std::string> Nearest(std::string_view id, std::vector<std::string> candidates, int n) {
  std::vector<std::pair<size_t, std::string>> ranked;
  ranked.reserve(candidates.size());
  for (auto& c : candidates) ranked.emplace_back(EditDistance(id, c), std::move(c));
  size_t keep = std::min(ranked.size(), static_cast<size_t>(n));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < keep; ++i) out.push_back(ranked[i].second);
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string InsertTombstone(const RetentionTable& t) {
  return "INSERT INTO tombstones(tenant, artifact_table, artifact_id, content_hash, ledger_entry, deleted_at, "
         "retention_id) SELECT tenant, '" + std::string(t.table) + "', " + std::string(t.id_column) +
         ", substr(digest, 8), ledger_entry, ?, ? FROM " + std::string(t.table) + " WHERE tenant = ? AND " +
         std::string(t.id_column) + " = ?";
}

std::string DeleteTombstoned(const RetentionTable& t) {
  return "DELETE FROM " + std::string(t.table) + " WHERE tenant = ? AND " + std::string(t.id_column) + " = ?";
}

std::string RowTimes(const RetentionTable& t) {
  return "SELECT " + std::string(t.id_column) + ", " + std::string(t.time_column) + " FROM " + std::string(t.table) +
         " WHERE tenant = ? ORDER BY " + std::string(t.id_column);
}

std::string TombstoneRows(bool one_table, bool one_id) {
  return std::string("SELECT artifact_table, artifact_id, content_hash, ledger_entry, deleted_at, retention_id FROM "
                     "tombstones WHERE tenant = ?") +
         (one_table ? " AND artifact_table = ?" : "") + (one_id ? " AND artifact_id = ?" : "") +
         " ORDER BY artifact_table, artifact_id";
}

std::string TombstonedInThisTransaction(const RetentionTable& t) {
  return "EXISTS (SELECT 1 FROM tombstones t JOIN retention_open o ON o.retention_id = t.retention_id WHERE "
         "t.tenant = OLD.tenant AND t.artifact_table = '" + std::string(t.table) + "' AND t.artifact_id = OLD." +
         std::string(t.id_column) + " AND 'sha256:' || t.content_hash = OLD.digest)";
}

std::string RunStepsWithTombstones(bool with_tombstones) {
  if (!with_tombstones) {
    return "SELECT s.step, s.event_id, s.digest, e.body, 0 FROM run_steps s JOIN events e ON e.tenant = s.tenant AND "
           "e.event_id = s.event_id WHERE s.tenant = ? AND s.run_id = ? AND s.step > ? ORDER BY s.step LIMIT ?";
  }
  return "SELECT s.step, s.event_id, s.digest, coalesce(e.body, ''), CASE WHEN e.event_id IS NULL THEN 1 ELSE 0 END "
         "FROM run_steps s LEFT JOIN events e ON e.tenant = s.tenant AND e.event_id = s.event_id LEFT JOIN tombstones t "
         "ON t.tenant = s.tenant AND t.artifact_table = 'events' AND t.artifact_id = s.event_id WHERE s.tenant = ? AND "
         "s.run_id = ? AND s.step > ? AND (e.event_id IS NOT NULL OR t.artifact_id IS NOT NULL) ORDER BY s.step LIMIT ?";
}

}  // namespace oep::store_sql
