// GET /v1/runs/{id}/export?format=json|markdown|pdf: the compliance export of a run of the
// caller's tenant (src/export), markdown and PDF made from the verified JSON. The export
// records the exporter's verification without trusted keys (NON_AUTHORITATIVE); the
// evidence class that counts is the one `oep verify --export` computes with the
// auditor's own keys.
#include "export/export.h"
#include "pdf/export_pdf.h"
#include "json/json.h"
#include "server/api.h"

namespace oep::server {
namespace {

Reply ExportRoute(Call& call) {
  std::string format = call.req.has_param("format") ? call.req.get_param_value("format") : "json";
  if (format != "json" && format != "markdown" && format != "pdf") {
    return ErrorReply(Status::InvalidArgument("?format: expected json, markdown or pdf, found \"" + format + "\""));
  }
  auto json_text = ExportRun(call.store, call.req.matches[1].str(), ExportOptions());
  if (!json_text.ok()) return ErrorReply(json_text.status());
  if (format == "json") return Reply{200, std::move(*json_text), "application/json"};
  auto check = VerifyExport(*json_text, TrustedKeys(), "the export");
  if (!check.ok()) return ErrorReply(check.status());
  if (!check->ok) return ErrorReply(Status::Conflict("the export does not verify:\n" + check->Render()));
  ExportReport report = BuildExportReport(check->document);
  if (format == "markdown") return Reply{200, RenderExportMarkdown(report), "text/markdown; charset=utf-8"};
  const auto& d = check->document;
  auto pdf = RenderExportPdf(report, json::GetString(d, "export_digest"), json::GetString(d, "generated_at"));
  if (!pdf.ok()) return ErrorReply(pdf.status());
  return Reply{200, std::move(*pdf), "application/pdf"};
}

}  // namespace

void AddExportRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "GET", R"(/v1/runs/([^/:]+)/export)", Permission::kRead, ExportRoute);
}

}  // namespace oep::server
