// POST /v1/traces: OTLP/HTTP with the JSON encoding (Content-Type application/json) or the
// binary protobuf encoding (application/x-protobuf, read by importers/otlp_protobuf.h into
// the same JSON document), either optionally gzip Content-Encoding (decompressed as a
// stream and refused with 413 once past the body limit: a gzip bomb is never inflated
// whole). importers/otlp.h says how spans become runs and steps. The answer is OTLP's
// ExportTraceServiceResponse in the request's encoding: {"partialSuccess": {}}, or the
// empty protobuf message (zero bytes). A bad request is 400 with the server's JSON error
// naming the field's JSON pointer (for protobuf also the byte offset), and nothing of it
// is stored.
#include "importers/otlp.h"
#include "importers/otlp_protobuf.h"
#include "server/api.h"

namespace oep::server {
namespace {

bool HasMediaType(const std::string& content_type, std::string_view type) {
  if (content_type.rfind(type, 0) != 0) return false;
  return content_type.size() == type.size() || content_type[type.size()] == ';' || content_type[type.size()] == ' ';
}

Reply PostTraces(Call& call) {
  std::string type = call.req.get_header_value("Content-Type");
  bool protobuf = HasMediaType(type, "application/x-protobuf");
  if (!protobuf && !HasMediaType(type, "application/json")) {
    return {415, "{\"error\":{\"code\":\"unsupported_media_type\",\"message\":\"Content-Type: expected application/json "
                 "or application/x-protobuf (OTLP/HTTP)\"}}"};
  }
  auto body = protobuf ? OtlpProtobufToJson(call.body) : ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  auto report = ImportOtlpRequest(call.store, *body, "POST /v1/traces key:" + call.key.key_id);
  if (!report.ok()) return ErrorReply(report.status());
  if (protobuf) return {200, "", "application/x-protobuf"};
  return {200, "{\"partialSuccess\":{}}"};
}

}  // namespace

void AddOtlpRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "POST", "/v1/traces", Permission::kWrite, PostTraces);
}

}  // namespace oep::server
