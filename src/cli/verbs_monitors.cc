// violations (what the monitors flagged) and monitor test (src/monitors/monitors.h).
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "json/json.h"
#include "monitors/monitors.h"
#include "util/display_text.h"

namespace oep::cli {
namespace {

struct MonitorArgs {
  std::string state_path, tenant = std::string(kDefaultTenant), format = "human", after;
  ViolationFilter filter;
  int limit = 500;
  std::vector<std::string> bundles;
};

void PrintFinding(const std::string& monitor, const std::string& severity, const std::string& rule,
                  const std::string& run, const std::string& message, const std::string& ids) {
  std::cout << severity << "  " << EscapeForTerminal(monitor) << "." << rule << (run.empty() ? "" : "  run " + EscapeForTerminal(run))
            << (ids.empty() ? "" : "  " + EscapeForTerminal(ids)) << "  " << EscapeForTerminal(message) << "\n";
}

std::string Ids(const std::vector<std::string>& events, const std::vector<std::string>& decisions) {
  std::string out;
  for (const auto& e : events) out += (out.empty() ? "" : ",") + e;
  for (const auto& d : decisions) out += (out.empty() ? "" : ",") + d;
  return out;
}

int ListCommand(const MonitorArgs& a) {
  auto store = Store::Open(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  (*store)->ScopeToTenant(a.tenant);
  auto list = ListViolations(**store, a.filter, a.after, a.limit);
  if (!list.ok()) return Fail(list.status());
  rapidjson::Document doc(rapidjson::kArrayType);
  for (const auto& row : *list) {
    auto v = json::Parse(row.body);
    if (!v.ok()) return Fail(v.status());
    if (a.format == "human") {
      std::vector<std::string> events, decisions;
      for (const auto& e : (*v)["event_ids"].GetArray()) events.emplace_back(e.GetString());
      for (const auto& d : (*v)["decision_ids"].GetArray()) decisions.emplace_back(d.GetString());
      std::cout << json::GetString(*v, "created_at") << "  ";
      PrintFinding(json::GetString(*v, "monitor"), json::GetString(*v, "severity"), json::GetString(*v, "rule"),
                   json::GetString(*v, "run_id"), json::GetString(*v, "message"), Ids(events, decisions));
      continue;
    }
    rapidjson::Value item;
    item.CopyFrom(*v, doc.GetAllocator());
    doc.PushBack(item, doc.GetAllocator());
  }
  if (a.format == "human") {
    if (list->empty()) std::cout << "no violations\n";
    return 0;
  }
  return PrintRecord(doc, "", a.format, {});
}

int TestCommand(const MonitorArgs& a) {
  auto monitors = MonitorSet::Load(a.bundles);
  if (!monitors.ok()) return Fail(monitors.status().WithContext("--policy-bundle"));
  auto store = Store::Open(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  (*store)->ScopeToTenant(a.tenant);
  auto found = TestMonitorsOnHistory(**store, **monitors);
  if (!found.ok()) return Fail(found.status());
  if (a.format == "human") {
    for (const auto& f : *found) PrintFinding(f.monitor, f.severity, f.rule, f.run_id, f.message, Ids(f.event_ids, f.decision_ids));
    std::cout << found->size() << " violation" << (found->size() == 1 ? "" : "s") << " over stored history from "
              << (*monitors)->Names().size() << " monitor" << ((*monitors)->Names().size() == 1 ? "" : "s")
              << " (nothing stored)\n";
    return 0;
  }
  rapidjson::Document doc(rapidjson::kArrayType);
  auto& al = doc.GetAllocator();
  auto str = [&al](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), al); };
  for (const auto& f : *found) {
    rapidjson::Value o(rapidjson::kObjectType), events(rapidjson::kArrayType), decisions(rapidjson::kArrayType);
    o.AddMember("monitor", str(f.monitor), al);
    o.AddMember("policy_version", str(f.policy_version), al);
    o.AddMember("rule", str(f.rule), al);
    o.AddMember("message", str(f.message), al);
    o.AddMember("severity", str(f.severity), al);
    o.AddMember("run_id", str(f.run_id), al);
    for (const auto& e : f.event_ids) events.PushBack(str(e), al);
    for (const auto& d : f.decision_ids) decisions.PushBack(str(d), al);
    o.AddMember("event_ids", events, al);
    o.AddMember("decision_ids", decisions, al);
    doc.PushBack(o, al);
  }
  return PrintRecord(doc, "", a.format, {});
}

}  // namespace

void AddMonitorVerbs(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<MonitorArgs>();
  auto common = [&](CLI::App* cmd) {
    AddStatePath(cmd, &a->state_path);
    cmd->add_option("--tenant", a->tenant, "the tenant (default: default)");
    cmd->add_option("--output-format", a->format, "human, json or jsonl")->check(CLI::IsMember({"human", "json", "jsonl"}));
  };
  CLI::App* list = app.add_subcommand("violations", "what the monitors of oep serve flagged, in id order");
  common(list);
  list->add_option("--monitor", a->filter.monitor, "one monitor (its Rego package, e.g. monitors.blocked_tool)");
  list->add_option("--severity", a->filter.severity, "low, medium, high or critical");
  list->add_option("--run", a->filter.run_id, "violations of one run");
  list->add_option("--since", a->filter.since, "recorded at or after this RFC 3339 time");
  list->add_option("--after", a->after, "start after this violation id (paging)");
  list->add_option("--limit", a->limit, "at most this many")->check(CLI::Range(1, 100000));
  list->callback([a, &exit_code] { exit_code = ListCommand(*a); });

  CLI::App* root = app.add_subcommand("monitor", "monitoring policies: try them on stored history");
  root->require_subcommand(1);
  CLI::App* test = root->add_subcommand("test", "run monitors over the stored history and print what they flag (nothing is stored)");
  common(test);
  test->add_option("--policy-bundle", a->bundles, "a monitor folder or .rego file, repeatable")->required();
  test->callback([a, &exit_code] { exit_code = TestCommand(*a); });
}

}  // namespace oep::cli
