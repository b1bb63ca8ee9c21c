// oep: the command line. The verbs live in verbs_*.cc (see cli.h).
#include <string>

#include <CLI/CLI.hpp>

#include "cli/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"oep: an embedded evidence plane for AI agents"};
  app.name("oep");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("oep ") + OEP_VERSION);
  int exit_code = 2;
  oep::cli::AddStoreVerbs(app, exit_code);
  oep::cli::AddReplayVerbs(app, exit_code);
  oep::cli::AddDiffVerb(app, exit_code);
  oep::cli::AddDriftVerb(app, exit_code);
  oep::cli::AddApprovalsVerbs(app, exit_code);
  oep::cli::AddFindVerbs(app, exit_code);
  oep::cli::AddVerifyVerbs(app, exit_code);
  oep::cli::AddRegoVerbs(app, exit_code);
  oep::cli::AddRegoCapabilitiesVerb(app, exit_code);
  oep::cli::AddKeysVerbs(app, exit_code);
  oep::cli::AddServeVerbs(app, exit_code);
  oep::cli::AddExportVerbs(app, exit_code);
  oep::cli::AddAuditVerbs(app, exit_code);
  oep::cli::AddRetentionVerbs(app, exit_code);
  oep::cli::AddMonitorVerbs(app, exit_code);
  oep::cli::AddWebhookVerbs(app, exit_code);
  return oep::cli::RunApp(app, argc, argv, exit_code);
}
