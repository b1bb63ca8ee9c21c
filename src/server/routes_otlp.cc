// POST /v1/traces: OTLP/HTTP with the JSON encoding (importers/otlp.h says how spans become
// runs and steps); protobuf is refused with 415. The answer is OTLP's
// ExportTraceServiceResponse {"partialSuccess": {}}; a bad span is 400 naming its JSON
// pointer, and nothing of the request is stored.
#include "importers/otlp.h"
#include "server/api.h"

namespace oep::server {
namespace {

Reply PostTraces(Call& call) {
  std::string type = call.req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    return {415, "{\"error\":{\"code\":\"unsupported_media_type\",\"message\":\"Content-Type: expected application/json "
                 "(OTLP/HTTP with the JSON encoding; protobuf is not accepted yet)\"}}"};
  }
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  auto report = ImportOtlpRequest(call.store, *body, "POST /v1/traces key:" + call.key.key_id);
  if (!report.ok()) return ErrorReply(report.status());
  return {200, "{\"partialSuccess\":{}}"};
}

}  // namespace

void AddOtlpRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "POST", "/v1/traces", Permission::kWrite, PostTraces);
}

}  // namespace oep::server
