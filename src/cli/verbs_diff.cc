// diff: two agent runs compared by category (src/diff/run_diff.h).
#include "cli/cli.h"
#include "diff/run_diff.h"
#include "json/json.h"

namespace oep::cli {
namespace {

struct DiffArgs {
  std::string state_path, run_a, run_b, profile = "default", format = "human";
  bool exit_code = false;  // --exit-code: 1 when the runs differ, as `git diff --exit-code`
};

int RunDiff(const DiffArgs& args) {
  auto profile = ResolveDiffProfile(args.profile);
  if (!profile.ok()) return Fail(profile.status());
  auto store = OpenStore(Resolve(args.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto diff = DiffRuns(**store, args.run_a, args.run_b, *profile);
  if (!diff.ok()) return Fail(diff.status());
  int rc = PrintRecord(*diff, "", args.format, [](const rapidjson::Value& record, const std::string& format) {
    return format == "markdown" ? RenderRunDiffMarkdown(record) : RenderRunDiffHuman(record);
  });
  if (rc == 0 && args.exit_code && !(*diff)["identical"].GetBool()) return 1;
  return rc;
}

}  // namespace

void AddDiffVerb(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand("diff", "compare two agent runs: prompt stack, tool calls, model, policy decisions, metadata, cost");
  cmd->add_option("run_a", args->run_a, "the first run (its trace id)")->required();
  cmd->add_option("run_b", args->run_b, "the second run (its trace id)")->required();
  cmd->add_option("--profile", args->profile,
                  "fields to ignore: a built-in profile (default: ids, timestamps, durations, request ids; strict: ids only) "
                  "or a JSON file {\"name\", \"extends\"?, \"ignore\": [member names or /json/pointers]}")
      ->capture_default_str();
  AddOutputFormat(cmd, &args->format, "human");
  cmd->add_flag("--exit-code", args->exit_code, "exit 1 when the runs differ (0 when identical)");
  AddStatePath(cmd, &args->state_path);
  AddTenant(cmd);
  cmd->callback([args, &exit_code] { exit_code = RunDiff(*args); });
}

}  // namespace oep::cli
