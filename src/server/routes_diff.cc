// GET /v1/diff?runA=&runB=[&profile=]: two runs of the caller's tenant compared
// (src/diff/run_diff.h). Only built-in profiles: a request never names a server file.
#include <algorithm>

#include "diff/run_diff.h"
#include "server/api.h"

namespace oep::server {
namespace {

Reply DiffRoute(Call& call) {
  for (const auto& [name, value] : call.req.params) {
    if (name != "runA" && name != "runB" && name != "profile") {
      return ErrorReply(Status::InvalidArgument("?" + name + ": unknown parameter; expected runA, runB, profile"));
    }
  }
  for (const char* name : {"runA", "runB"}) {
    if (call.req.get_param_value(name).empty()) {
      return ErrorReply(Status::InvalidArgument(std::string("?") + name + ": expected a run id (its trace id)"));
    }
  }
  std::string profile_name = call.req.has_param("profile") ? call.req.get_param_value("profile") : "default";
  std::vector<std::string> builtins = BuiltinDiffProfileNames();
  if (std::find(builtins.begin(), builtins.end(), profile_name) == builtins.end()) {
    return ErrorReply(Status::InvalidArgument("?profile: expected a built-in profile (default, strict), found \"" +
                                              profile_name + "\""));
  }
  auto profile = ResolveDiffProfile(profile_name);
  if (!profile.ok()) return ErrorReply(profile.status());
  auto diff = DiffRuns(call.store, call.req.get_param_value("runA"), call.req.get_param_value("runB"), *profile);
  if (!diff.ok()) return ErrorReply(diff.status());
  return JsonReply(200, *diff);
}

}  // namespace

void AddDiffRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "GET", "/v1/diff", Permission::kRead, DiffRoute);
}

}  // namespace oep::server
