// decisions and runs: find evidence by what it is about, newest first.
#include <iostream>
#include <memory>

#include <unistd.h>

#include "cli/cli.h"
#include "find/find.h"
#include "util/display_text.h"
#include "util/time_syntax.h"

namespace oep::cli {
namespace {

struct FindArgs {
  std::string state_path, format = "human", since, until;
  bool allow = false, deny = false;
  DecisionQuery decisions;
  RunQuery runs;
};

// --since / --until in the one time syntax, into `since_out` / `until_out`.
Status ParseBounds(const FindArgs& a, std::string* since_out, std::string* until_out) {
  int64_t now = UnixNow();
  if (!a.since.empty()) {
    auto t = ParseTimeBound("--since", a.since, now);
    if (!t.ok()) return t.status();
    *since_out = *t;
  }
  if (!a.until.empty()) {
    auto t = ParseTimeBound("--until", a.until, now);
    if (!t.ok()) return t.status();
    *until_out = *t;
  }
  if (!since_out->empty() && !until_out->empty() && *since_out > *until_out) {
    return Status::InvalidArgument("--since " + a.since + " is after --until " + a.until + ": nothing could match");
  }
  return Status::Ok();
}

// Opens the store, finds, prints; an empty list reads as a sentence for people.
template <typename Find, typename Render>
int FindAndPrint(const FindArgs& a, const char* noun, Find find, Render render) {
  auto store = OpenStore(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto list = find(**store);
  if (!list.ok()) return Fail(list.status());
  if (list->empty() && (a.format == "human" || a.format == "markdown")) {
    std::cout << "no " << noun << " in " << (*store)->path() << " match\n";
    return 0;
  }
  std::cout << render(*list, a.format);
  return 0;
}

int RunDecisions(FindArgs a) {
  if (a.allow && a.deny) return Fail(Status::InvalidArgument("--allow and --deny exclude each other: give one or neither"));
  if (a.allow || a.deny) a.decisions.filter.allow = a.allow;
  Status s = ParseBounds(a, &a.decisions.filter.since, &a.decisions.filter.until);
  if (!s.ok()) return Fail(s);
  return FindAndPrint(
      a, "decisions", [&](Store& store) { return FindDecisions(store, a.decisions); },
      [](const auto& list, const std::string& format) { return RenderDecisions(list, format, OutputColumns(STDOUT_FILENO)); });
}

int RunRuns(FindArgs a) {
  Status s = ParseBounds(a, &a.runs.filter.since, &a.runs.filter.until);
  if (!s.ok()) return Fail(s);
  return FindAndPrint(
      a, "runs", [&](Store& store) { return FindRuns(store, a.runs); },
      [](const auto& list, const std::string& format) { return RenderRuns(list, format, OutputColumns(STDOUT_FILENO)); });
}

void AddTimeBounds(CLI::App* cmd, FindArgs* a, const char* what) {
  cmd->add_option("--since", a->since, std::string("only ") + what + " at or after T (RFC 3339, a date, or 24h, 7d ago)");
  cmd->add_option("--until", a->until, std::string("only ") + what + " at or before T (same syntax)");
}

}  // namespace

void AddFindVerbs(CLI::App& app, int& exit_code) {
  auto d = std::make_shared<FindArgs>();
  auto* decisions = app.add_subcommand("decisions", "list stored decisions, newest first (id, time, tool, outcome, rule)");
  AddStatePath(decisions, &d->state_path);
  AddTenant(decisions);
  decisions->add_option("--tool", d->decisions.filter.tool, "only decisions about this tool");
  decisions->add_option("--actor", d->decisions.filter.actor, "only decisions of this actor id");
  decisions->add_flag("--allow", d->allow, "only allowed decisions");
  decisions->add_flag("--deny", d->deny, "only denied decisions");
  AddTimeBounds(decisions, d.get(), "decisions");
  decisions->add_option("--run", d->decisions.filter.trace_id, "only decisions of this run (trace id)");
  decisions->add_option("--path", d->decisions.path, "only decisions recorded at this decision path or query");
  decisions->add_option("--limit", d->decisions.limit, "at most N decisions (default 20)");
  AddOutputFormat(decisions, &d->format, "human");
  decisions->callback([d, &exit_code] { exit_code = RunDecisions(*d); });

  auto r = std::make_shared<FindArgs>();
  auto* runs = app.add_subcommand("runs", "list agent runs, newest first (id, start, status, decisions, denied)");
  AddStatePath(runs, &r->state_path);
  AddTenant(runs);
  runs->add_option("--tool", r->runs.filter.tool, "only runs with a decision about this tool");
  AddTimeBounds(runs, r.get(), "runs started");
  runs->add_option("--limit", r->runs.limit, "at most N runs (default 20)");
  AddOutputFormat(runs, &r->format, "human");
  runs->callback([r, &exit_code] { exit_code = RunRuns(*r); });
}

}  // namespace oep::cli
