// audit gdpr | tools: personal data in stored payloads; who used which tool.
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "exposure/exposure.h"
#include "json/json.h"
#include "tool_audit/tool_audit.h"

namespace oep::cli {
namespace {

struct AuditArgs {
  std::string state_path, run, since, format = "human";
};

int RunGdpr(const AuditArgs& a) {
  auto store = OpenStore(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto report = AuditExposure(**store, ExposureAuditOptions{a.run, a.since});
  if (!report.ok()) return Fail(report.status());
  std::cout << report->Render();
  return report->errors() > 0 ? 1 : 0;
}

int RunTools(const AuditArgs& a) {
  auto store = OpenStore(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto uses = AuditToolUse(**store, a.since);
  if (!uses.ok()) return Fail(uses.status());
  if (a.format == "human") {
    std::cout << RenderToolUse(*uses);
    return 0;
  }
  rapidjson::Document doc;
  ToolUseToJson(*uses, &doc, doc.GetAllocator());
  return PrintRecord(doc, "", a.format, nullptr);
}

}  // namespace

void AddAuditVerbs(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<AuditArgs>();
  auto* audit = app.add_subcommand("audit", "audits of stored evidence: GDPR exposure, tool access");
  audit->require_subcommand(1);
  auto* gdpr = audit->add_subcommand(
      "gdpr", "find personal data and credentials in stored payloads (WARNING), bad redaction markers (ERROR, exit 1)");
  AddStatePath(gdpr, &a->state_path);
  AddTenant(gdpr);
  gdpr->add_option("--run", a->run, "only this run's chain (trace id)");
  gdpr->add_option("--since", a->since, "skip rows whose own time is earlier (RFC 3339)");
  gdpr->callback([a, &exit_code] { exit_code = RunGdpr(*a); });
  auto* tools = audit->add_subcommand("tools", "per actor and tool: calls, allowed, denied, approved, break-glass, first/last use");
  AddStatePath(tools, &a->state_path);
  AddTenant(tools);
  tools->add_option("--since", a->since, "only decisions at or after this time (RFC 3339)");
  tools->add_option("--output-format", a->format, "human | json | jsonl")->check(CLI::IsMember({"human", "json", "jsonl"}));
  tools->callback([a, &exit_code] { exit_code = RunTools(*a); });
}

}  // namespace oep::cli
