// GET /v1/violations (what the monitors flagged) and the monitors' hook behind the ingest
// routes (MonitorIngest, see api.h).
#include <cstdio>

#include "server/api.h"

namespace oep::server {

std::vector<rapidjson::Document> MonitorIngest(Context& ctx, Store& store, Ingester& ingester, const std::string& source,
                                               const std::vector<const rapidjson::Value*>& drops) {
  const MonitorSet* monitors = ctx.monitors.For(store.tenant());
  if (!monitors) return {};
  auto found = MonitorBatch(*monitors, store, ingester, "monitor: " + source, drops);
  if (found.ok()) return std::move(*found);
  std::fprintf(stderr, "oep serve: monitors over %s (tenant %s): %s\n", source.c_str(), store.tenant().c_str(),
               found.status().message().c_str());
  return {};
}

namespace {

// ?monitor ?severity ?run ?since ?after ?limit
Reply ListRoute(Call& call) {
  for (const auto& [name, value] : call.req.params) {
    if (name != "monitor" && name != "severity" && name != "run" && name != "since" && name != "after" && name != "limit") {
      return ErrorReply(Status::InvalidArgument("?" + name +
                                                ": unknown filter; expected monitor, severity, run, since, after, limit"));
    }
  }
  auto limit = PageLimit(call.req);
  if (!limit.ok()) return ErrorReply(limit.status());
  ViolationFilter f{call.req.get_param_value("monitor"), call.req.get_param_value("severity"),
                    call.req.get_param_value("run"), call.req.get_param_value("since")};
  auto list = ListViolations(call.store, f, call.req.get_param_value("after"), *limit);
  if (!list.ok()) return ErrorReply(list.status());
  return ArtifactPage(*list, "violations", *limit);
}

}  // namespace

void AddViolationRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "GET", "/v1/violations", Permission::kRead, ListRoute);
}

}  // namespace oep::server
