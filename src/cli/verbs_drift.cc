// drift: five-surface drift between two releases (src/drift/drift.h).
#include "cli/cli.h"
#include "drift/drift.h"
#include "json/json.h"

namespace oep::cli {

void AddDriftVerb(CLI::App& app, int& exit_code) {
  struct Args {
    std::string state_path, release_a, release_b, format = "human";
    DriftOptions options;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "drift", "which of model, prompt, tool schema, policy, workflow changed between two releases, and which decisions it could touch");
  AddStatePath(cmd, &args->state_path);
  AddTenant(cmd);
  cmd->add_option("release_a", args->release_a, "the first release: a stored manifest id (rmf_...) or a manifest file")->required();
  cmd->add_option("release_b", args->release_b, "the second release (same forms)")->required();
  cmd->add_option("--limit", args->options.examples, "decision ids listed per changed surface")->check(CLI::NonNegativeNumber);
  AddOutputFormat(cmd, &args->format, "human");
  cmd->callback([args, &exit_code] {
    auto store = OpenStore(Resolve(args->state_path), Store::Mode::kReadOnly);
    if (!store.ok()) {
      exit_code = Fail(store.status());
      return;
    }
    auto report = DriftReleases(**store, args->release_a, args->release_b, args->options);
    if (!report.ok()) {
      exit_code = Fail(report.status());
      return;
    }
    exit_code = PrintRecord(*report, "", args->format, [](const rapidjson::Value& r, const std::string&) { return RenderDriftHuman(r); });
  });
}

}  // namespace oep::cli
