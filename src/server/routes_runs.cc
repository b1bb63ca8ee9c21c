// /v1/runs: create, list (filters, cursor pages, per-run figures), read, steps (atomic
// batches), finish.
#include <algorithm>
#include <cmath>

#include "crypto/encoding.h"
#include "json/json.h"
#include "frames/frames.h"
#include "replay/decision_chain.h"
#include "runs/runs.h"
#include "server/chain_evidence_json.h"
#include "server/api.h"

namespace oep::server {
namespace {

Reply RunReply(int status, const RunSummary& run) {
  rapidjson::Document doc;
  RunToJson(run, &doc, doc.GetAllocator());
  return JsonReply(status, doc);
}

// The run id of the path, or the 404 every unknown run gets.
Result<std::string> RunIdOf(const Call& call) {
  std::string id = call.req.matches[1];
  if (!IsRunId(id)) return Status::NotFound("no run \"" + id + "\"");
  return id;
}

// Cursors are opaque to clients: base64 of "<created_at>\n<run_id>".
std::string EncodeCursor(const RunRecord& r) { return crypto::Base64Encode(r.created_at + "\n" + r.run_id); }

Result<std::optional<RunCursor>> DecodeCursor(const httplib::Request& req) {
  if (!req.has_param("cursor")) return std::optional<RunCursor>();
  auto raw = crypto::Base64Decode(req.get_param_value("cursor"));
  size_t nl = raw ? raw->find('\n') : std::string::npos;
  if (nl == std::string::npos || !IsRunId(raw->substr(nl + 1))) {
    return Status::InvalidArgument("?cursor: expected the next_cursor of a previous page");
  }
  return std::optional<RunCursor>(RunCursor{raw->substr(0, nl), raw->substr(nl + 1)});
}

Result<RunFilter> Filter(const httplib::Request& req) {
  for (const auto& [name, value] : req.params) {
    if (name != "since" && name != "until" && name != "status" && name != "tool" && name != "model" && name != "tag" &&
        name != "release" && name != "limit" && name != "cursor") {
      return Status::InvalidArgument("?" + name +
                                     ": unknown filter; expected since, until, status, tool, model, tag, release, limit, "
                                     "cursor");
    }
  }
  RunFilter f{req.get_param_value("since"), req.get_param_value("until"), req.get_param_value("status"),
              req.get_param_value("tool"), req.get_param_value("model"), req.get_param_value("tag"),
              req.get_param_value("release")};
  if (!f.status.empty() && f.status != "open" && f.status != "finished") {
    return Status::InvalidArgument("?status: expected open or finished, found \"" + f.status + "\"");
  }
  return f;
}

// The listing's per-run figures (Store::RunFigures): tool_calls, denials, violations (of the
// monitors), cost_usd (the larger of the summed step costs and the largest run cost, as
// `oep diff` reports it; null when no step records a cost) and duration_ms (first to last
// event_time; null without one).
void AddFigures(const Store::RunFigures& g, rapidjson::Value* run, rapidjson::Document::AllocatorType& a) {
  run->AddMember("tool_calls", g.tool_calls, a);
  run->AddMember("denials", g.denials, a);
  run->AddMember("violations", g.violations, a);
  rapidjson::Value cost;
  if (g.step_cost_usd || g.run_cost_usd) {
    cost.SetDouble(std::round(std::max(g.step_cost_usd.value_or(0), g.run_cost_usd.value_or(0)) * 1e9) / 1e9);
  }
  run->AddMember("cost_usd", cost, a);
  rapidjson::Value duration;
  if (g.first_event_ns) duration.SetInt64((*g.last_event_ns - *g.first_event_ns) / 1000000);
  run->AddMember("duration_ms", duration, a);
}

Reply ListRuns(Call& call) {
  auto filter = Filter(call.req);
  if (!filter.ok()) return ErrorReply(filter.status());
  auto limit = PageLimit(call.req);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto cursor = DecodeCursor(call.req);
  if (!cursor.ok()) return ErrorReply(cursor.status());
  auto runs = call.store.ListRuns(*filter, *cursor, *limit + 1);  // one more: is there a next page?
  if (!runs.ok()) return ErrorReply(runs.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  bool more = runs->size() > static_cast<size_t>(*limit);
  if (more) runs->pop_back();
  std::vector<std::string> ids;
  for (const auto& r : *runs) ids.push_back(r.run.run_id);
  auto figures = call.store.RunFiguresOf(ids);
  if (!figures.ok()) return ErrorReply(figures.status());
  const Store::RunFigures none;
  for (const auto& r : *runs) {
    rapidjson::Value v;
    RunToJson(r, &v, a);
    auto f = figures->find(r.run.run_id);
    AddFigures(f == figures->end() ? none : f->second, &v, a);
    items.PushBack(v, a);
  }
  doc.AddMember("runs", items, a);
  doc.AddMember("next_cursor", more ? Str(EncodeCursor(runs->back().run), a) : rapidjson::Value(), a);
  return JsonReply(200, doc);
}

Reply CreateRunRoute(Call& call) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  auto run = CreateRun(call.store, *body, "POST /v1/runs key:" + call.key.key_id);
  if (!run.ok()) return ErrorReply(run.status());
  return RunReply(run->created ? 201 : 200, run->run);
}

// The run, with "evidence": its chain classified with the keys the server trusts.
Reply GetRunRoute(const TrustedKeys& trusted, Call& call) {
  auto id = RunIdOf(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto run = call.store.GetRun(*id);
  if (!run.ok()) return ErrorReply(run.status());
  if (!*run) return ErrorReply(Status::NotFound("no run \"" + *id + "\""));
  rapidjson::Document doc;
  auto& a = doc.GetAllocator();
  RunToJson(**run, &doc, a);
  ChainEvidence chain = ClassifyChainEvidence(call.store, (*run)->run.chain_id, trusted);
  doc.AddMember("evidence", ChainEvidenceJson(chain, a, false), a);
  return JsonReply(200, doc);
}

Reply GetStepsRoute(Call& call) {
  auto id = RunIdOf(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto run = call.store.GetRun(*id);
  if (!run.ok()) return ErrorReply(run.status());
  if (!*run) return ErrorReply(Status::NotFound("no run \"" + *id + "\""));
  auto limit = PageLimit(call.req);
  if (!limit.ok()) return ErrorReply(limit.status());
  int64_t after = 0;
  if (call.req.has_param("after")) {
    try {
      after = std::stoll(call.req.get_param_value("after"));
    } catch (const std::exception&) {
      return ErrorReply(Status::InvalidArgument("?after: expected a step number"));
    }
  }
  auto steps = call.store.RunSteps(*id, after, *limit);
  if (!steps.ok()) return ErrorReply(steps.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  for (const auto& s : *steps) {
    rapidjson::Value item(rapidjson::kObjectType);
    item.AddMember("step", s.step, a);
    item.AddMember("event_id", Str(s.event_id, a), a);
    item.AddMember("digest", Str(s.digest, a), a);
    if (s.tombstoned) {
      // Deleted by retention: the step stays listed, with its digest and no event.
      item.AddMember("status", "tombstoned", a);
      item.AddMember("event", rapidjson::Value(), a);
      items.PushBack(item, a);
      continue;
    }
    auto event = json::Parse(s.body);
    if (!event.ok()) return ErrorReply(event.status());
    rapidjson::Value e;
    e.CopyFrom(*event, a);
    item.AddMember("event", e, a);
    items.PushBack(item, a);
  }
  doc.AddMember("run_id", Str(*id, a), a);
  bool more = static_cast<int>(steps->size()) == *limit;
  doc.AddMember("next_after", more ? rapidjson::Value(steps->back().step) : rapidjson::Value(), a);
  doc.AddMember("steps", items, a);
  return JsonReply(200, doc);
}

Reply AppendStepsRoute(Context& ctx, Call& call) {
  auto id = RunIdOf(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  std::string source = "POST /v1/runs/" + *id + "/steps";
  // The monitors see the steps as they will be stored; what they flag commits with them.
  std::vector<rapidjson::Document> violations;
  std::function<Status(Ingester&)> monitor;
  if (ctx.monitors.For(call.store.tenant())) {
    monitor = [&](Ingester& ingester) {
      violations = MonitorIngest(ctx, call.store, ingester, source);
      return Status::Ok();
    };
  }
  auto outcome = AppendSteps(call.store, *id, *body, source, &ctx.redaction, monitor);
  if (!outcome.ok()) return ErrorReply(outcome.status());
  EmitWebhookEvents(ctx, call.store, "violation", violations);
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  int64_t inserted = 0;
  for (const auto& o : *outcome) {
    rapidjson::Value item(rapidjson::kObjectType);
    item.AddMember("step", o.step, a);
    item.AddMember("event_id", Str(o.event_id, a), a);
    item.AddMember("digest", Str(o.digest, a), a);
    item.AddMember("stored", rapidjson::StringRef(o.inserted ? "new" : "unchanged"), a);
    items.PushBack(item, a);
    inserted += o.inserted ? 1 : 0;
  }
  doc.AddMember("run_id", Str(*id, a), a);
  doc.AddMember("inserted", inserted, a);
  doc.AddMember("unchanged", static_cast<int64_t>(outcome->size()) - inserted, a);
  doc.AddMember("steps", items, a);
  return JsonReply(200, doc);
}

Reply FinishRoute(Context& ctx, Call& call) {
  auto id = RunIdOf(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto done = FinishRun(call.store, *id, ctx.server_key_path);
  if (!done.ok()) return ErrorReply(done.status());
  Reply reply = RunReply(200, done->run);
  if (done->sealed_now) {
    auto doc = json::Parse(reply.body);
    if (doc.ok()) EmitWebhookEvents(ctx, call.store, "run.finished", std::span(&*doc, 1));
  }
  return reply;
}

// GET /v1/runs/{id}/frames: the run as ordered frames (src/frames/frames.h); 409 with the
// same document (served false, a CHAIN_UNVERIFIED frame) when its chain does not verify.
// Seals are checked without trusted keys, as the export route does.
Reply GetFramesRoute(Call& call) {
  auto id = RunIdOf(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto frames = RunFrames(call.store, *id, TrustedKeys());
  if (!frames.ok()) return ErrorReply(frames.status());
  return JsonReply((*frames)["served"].GetBool() ? 200 : 409, *frames);
}

}  // namespace

void AddRunRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "POST", "/v1/runs", Permission::kWrite, CreateRunRoute);
  Route(http, ctx, "GET", "/v1/runs", Permission::kRead, ListRuns);
  Route(http, ctx, "GET", R"(/v1/runs/([^/:]+))", Permission::kRead,
        [&ctx](Call& call) { return GetRunRoute(ctx.trusted, call); });
  Route(http, ctx, "GET", R"(/v1/runs/([^/:]+)/steps)", Permission::kRead, GetStepsRoute);
  Route(http, ctx, "GET", R"(/v1/runs/([^/:]+)/frames)", Permission::kRead, GetFramesRoute);
  Route(http, ctx, "POST", R"(/v1/runs/([^/:]+)/steps)", Permission::kWrite,
        [&ctx](Call& call) { return AppendStepsRoute(ctx, call); });
  Route(http, ctx, "POST", R"(/v1/runs/([^/:]+):finish)", Permission::kWrite,
        [&ctx](Call& call) { return FinishRoute(ctx, call); });
}

}  // namespace oep::server
