// The store's runs tables (format 3): runs, their tags and their numbered steps.
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"
#include "store/store_sql.h"

namespace oep {
namespace {

// Columns of a run summary; the run is finished when a seal closes its chain.
constexpr const char* kRunColumns =
    "SELECT r.run_id, r.chain_id, r.created_at, coalesce(r.release_manifest_id, ''), coalesce(r.model, ''), "
    "coalesce(r.agent, ''), r.digest, r.body, r.source, "
    "(SELECT count(*) FROM run_steps s WHERE s.tenant = r.tenant AND s.run_id = r.run_id), "
    "(SELECT l.payload FROM ledger l WHERE l.chain_id = r.chain_id AND l.kind = 'seal'), "
    "(SELECT group_concat(tag, char(10)) FROM (SELECT tag FROM run_tags t WHERE t.tenant = r.tenant AND "
    "t.run_id = r.run_id ORDER BY tag)) FROM runs r ";

RunSummary ReadRun(SQLite::Statement& q) {
  RunSummary s;
  RunRecord& r = s.run;
  r.run_id = q.getColumn(0).getString();
  r.chain_id = q.getColumn(1).getString();
  r.created_at = q.getColumn(2).getString();
  r.release_manifest_id = q.getColumn(3).getString();
  r.model = q.getColumn(4).getString();
  r.agent = q.getColumn(5).getString();
  r.digest = q.getColumn(6).getString();
  r.body = q.getColumn(7).getString();
  r.source = q.getColumn(8).getString();
  s.steps = q.getColumn(9).getInt64();
  s.finished = !q.getColumn(10).isNull();
  s.seal_payload = q.getColumn(10).getString();
  r.tags = store_sql::SplitLines(q.getColumn(11).getString());
  return s;
}

void BindOptional(SQLite::Statement& q, int index, const std::string& v) {
  if (v.empty()) q.bind(index);
  else q.bind(index, v);
}

}  // namespace

Result<PutOutcome> SqliteStore::PutRun(const RunRecord& r, int64_t ledger_entry) {
  try {
    auto& ins = stmts_->Get(
        "INSERT INTO runs(tenant, run_id, chain_id, created_at, release_manifest_id, model, agent, digest, body, source, "
        "ledger_entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tenant, run_id) DO NOTHING");
    ins.bind(1, tenant_);
    ins.bind(2, r.run_id);
    ins.bind(3, r.chain_id);
    ins.bind(4, r.created_at);
    BindOptional(ins, 5, r.release_manifest_id);
    BindOptional(ins, 6, r.model);
    BindOptional(ins, 7, r.agent);
    ins.bind(8, r.digest);
    ins.bind(9, r.body);
    ins.bind(10, r.source);
    ins.bind(11, ledger_entry);
    if (ins.exec() == 0) {
      auto& q = stmts_->Get("SELECT digest FROM runs WHERE tenant = ? AND run_id = ?");
      q.bind(1, tenant_);
      q.bind(2, r.run_id);
      q.executeStep();
      if (q.getColumn(0).getString() == r.digest) return PutOutcome::kUnchanged;
      return Status::Conflict("run \"" + r.run_id + "\" already exists with other content (stored " +
                              q.getColumn(0).getString() + ", this request " + r.digest + ")");
    }
    for (const auto& tag : r.tags) {
      auto& t = stmts_->Get("INSERT INTO run_tags(tenant, run_id, tag) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
      t.bind(1, tenant_);
      t.bind(2, r.run_id);
      t.bind(3, tag);
      t.exec();
    }
    return PutOutcome::kInserted;
  } catch (const std::exception& e) {
    return FromException(e, "cannot store run " + r.run_id);
  }
}

Result<std::optional<RunSummary>> SqliteStore::GetRun(const std::string& run_id) {
  if (version_ < 3) return std::optional<RunSummary>();
  try {
    auto& q = stmts_->Get(std::string(kRunColumns) + "WHERE r.tenant = ? AND r.run_id = ?");
    q.bind(1, tenant_);
    q.bind(2, run_id);
    if (!q.executeStep()) return std::optional<RunSummary>();
    return std::optional<RunSummary>(ReadRun(q));
  } catch (const std::exception& e) {
    return FromException(e, "cannot read run " + run_id);
  }
}

Result<std::vector<RunSummary>> SqliteStore::ListRuns(const RunFilter& f, const std::optional<RunCursor>& after, int limit) {
  std::vector<RunSummary> out;
  if (version_ < 3) return out;
  std::string sql = std::string(kRunColumns) + "WHERE r.tenant = ?";
  std::vector<std::string> args;
  sql += store_sql::RunFilter(f, after, &args);
  try {
    auto& q = stmts_->Get(sql);
    int i = 1;
    q.bind(i++, tenant_);
    for (const auto& a : args) q.bind(i++, a);
    q.bind(i, limit);
    while (q.executeStep()) out.push_back(ReadRun(q));
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot list runs");
  }
}

Status SqliteStore::PutRunStep(const std::string& run_id, const RunStep& step) {
  try {
    auto& ins = stmts_->Get("INSERT INTO run_steps(tenant, run_id, step, event_id, digest) VALUES (?, ?, ?, ?, ?)");
    ins.bind(1, tenant_);
    ins.bind(2, run_id);
    ins.bind(3, step.step);
    ins.bind(4, step.event_id);
    ins.bind(5, step.digest);
    ins.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot store step " + std::to_string(step.step) + " of run " + run_id);
  }
}

Result<std::optional<RunStep>> SqliteStore::GetRunStep(const std::string& run_id, int64_t step) {
  try {
    auto& q = stmts_->Get("SELECT step, event_id, digest FROM run_steps WHERE tenant = ? AND run_id = ? AND step = ?");
    q.bind(1, tenant_);
    q.bind(2, run_id);
    q.bind(3, step);
    if (!q.executeStep()) return std::optional<RunStep>();
    return std::optional<RunStep>(
        RunStep{q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(), ""});
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the steps of run " + run_id);
  }
}

Result<int64_t> SqliteStore::LastRunStep(const std::string& run_id) {
  try {
    auto& q = stmts_->Get("SELECT coalesce(max(step), 0) FROM run_steps WHERE tenant = ? AND run_id = ?");
    q.bind(1, tenant_);
    q.bind(2, run_id);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the steps of run " + run_id);
  }
}

Result<std::vector<RunStep>> SqliteStore::RunSteps(const std::string& run_id, int64_t after_step, int limit) {
  std::vector<RunStep> out;
  if (version_ < 3) return out;
  try {
    auto& q = stmts_->Get(
        store_sql::RunStepsWithTombstones(version_ >= 7));
    q.bind(1, tenant_);
    q.bind(2, run_id);
    q.bind(3, after_step);
    q.bind(4, limit);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                     q.getColumn(3).getString(), q.getColumn(4).getInt() == 1});
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the steps of run " + run_id);
  }
}

Result<std::map<std::string, Store::RunFigures>> SqliteStore::RunFiguresOf(const std::vector<std::string>& run_ids) {
  std::map<std::string, RunFigures> out;
  if (version_ < 3 || run_ids.empty()) return out;
  auto budget = [](std::string_view member) {
    std::string path = "'$.budget." + std::string(member) + "'";
    return "CASE WHEN json_type(e.body, " + path + ") IN ('integer', 'real') THEN json_extract(e.body, " + path + ") END";
  };
  try {
    // Not cached prepared statements: their text depends on the number of ids.
    auto bind_ids = [&](SQLite::Statement& q, const std::vector<std::string>& ids) {
      int i = 1;
      q.bind(i++, tenant_);
      for (const auto& id : ids) q.bind(i++, id);
    };
    SQLite::Statement q(*db_, store_sql::RunFigures(run_ids.size(), budget));
    bind_ids(q, run_ids);
    std::vector<std::string> mixed;
    while (q.executeStep()) {
      RunFigures& f = out[q.getColumn(0).getString()];
      f.tool_calls = q.getColumn(1).getInt64();
      f.denials = q.getColumn(2).getInt64();
      if (!q.getColumn(3).isNull()) f.step_cost_usd = q.getColumn(3).getDouble();
      if (!q.getColumn(4).isNull()) f.run_cost_usd = q.getColumn(4).getDouble();
      if (q.getColumn(7).getInt() == 1) {
        store_sql::AddEventTime(q.getColumn(5).getString(), &f);
        store_sql::AddEventTime(q.getColumn(6).getString(), &f);
      } else {
        mixed.push_back(q.getColumn(0).getString());
      }
    }
    if (!mixed.empty()) {
      SQLite::Statement t(*db_, store_sql::RunEventTimes(mixed.size()));
      bind_ids(t, mixed);
      while (t.executeStep()) store_sql::AddEventTime(t.getColumn(1).getString(), &out[t.getColumn(0).getString()]);
    }
    if (version_ >= 5) {
      SQLite::Statement v(*db_, store_sql::RunViolations(run_ids.size()));
      bind_ids(v, run_ids);
      while (v.executeStep()) out[v.getColumn(0).getString()].violations = v.getColumn(1).getInt64();
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the figures of runs");
  }
}

Result<std::vector<SqliteStore::RunListing>> SqliteStore::RecentRuns(const RunListFilter& f, int limit) {
  std::vector<std::string> args;
  auto tenant = [&](std::string_view alias) {
    if (version_ >= 3) args.push_back(tenant_);
    return TenantIs(alias);
  };
  std::string sql = store_sql::RecentRuns(f, version_ >= 3, tenant, &args);
  try {
    auto& q = stmts_->Get(sql);
    int i = 1;
    for (const auto& a : args) q.bind(i++, a);
    q.bind(i, limit);
    std::vector<RunListing> out;
    while (q.executeStep()) {
      RunListing r;
      r.run_id = q.getColumn(0).getString();
      r.started_at = q.getColumn(1).getString();
      r.status = q.getColumn(2).getString();
      r.release_manifest_id = q.getColumn(3).getString();
      r.decisions = q.getColumn(4).getInt64();
      r.denied = q.getColumn(5).getInt64();
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot list runs");
  }
}

}  // namespace oep
