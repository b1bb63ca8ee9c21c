// GET /v1/runs/{id}/export?format=json|markdown|pdf: the compliance export of a run of the
// caller's tenant (src/export), markdown and PDF made from the verified JSON. The export
// records the server's verification with the keys the server trusts (its own sealing key
// and `--trusted-key`); the evidence class that counts for an auditor is the one
// `oep verify --export` computes with the auditor's own keys.
#include "export/export.h"
#include "pdf/export_pdf.h"
#include "json/json.h"
#include "server/api.h"

namespace oep::server {
namespace {

Reply ExportRoute(const TrustedKeys& trusted, Call& call) {
  std::string format = call.req.has_param("format") ? call.req.get_param_value("format") : "json";
  if (format != "json" && format != "markdown" && format != "pdf") {
    return ErrorReply(Status::InvalidArgument("?format: expected json, markdown or pdf, found \"" + format + "\""));
  }
  ExportOptions options;
  options.trusted = trusted;
  auto json_text = ExportRun(call.store, call.req.matches[1].str(), options);
  if (!json_text.ok()) return ErrorReply(json_text.status());
  if (format == "json") return Reply{200, std::move(*json_text), "application/json"};
  auto check = VerifyExport(*json_text, trusted, "the export");
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
  Route(http, ctx, "GET", R"(/v1/runs/([^/:]+)/export)", Permission::kRead,
        [&ctx](Call& call) { return ExportRoute(ctx.trusted, call); });
}

}  // namespace oep::server
