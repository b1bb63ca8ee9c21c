// oep-serve: the evidence server's executable, which `oep serve` runs (see verbs_serve.cc).
#include <string>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "server/server.h"

namespace {

int Serve(const oep::ServerOptions& options) {
  oep::Status s = oep::RunServer(options);
  return s.ok() ? 0 : oep::cli::Fail(s);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"oep-serve: the oep evidence server (run as `oep serve`)"};
  app.name("oep");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("oep ") + OEP_VERSION);
  int exit_code = 2;
  oep::cli::AddServeVerb(app, exit_code, Serve);
  return oep::cli::RunApp(app, argc, argv, exit_code);
}
