#include "cli/cli.h"

#include <cstdio>
#include <ctime>
#include <iostream>

#include "json/json.h"
#include "util/display_text.h"
#include "util/paths.h"
#include "util/thread_stack.h"

namespace oep::cli {

int RunApp(CLI::App& app, int argc, char** argv, const int& exit_code) {
  return RunWithStack(kCommandStackBytes, [&]() -> int {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : 2;
    }
    return exit_code;
  });
}

int Fail(const Status& s) {
  std::cerr << "oep: " << s.message() << "\n";
  return s.exit_code();
}

void AddStatePath(CLI::App* cmd, std::string* path) {
  auto* file = cmd->add_option("--state-path", *path, "SQLite evidence store file (shorthand of --store sqlite:PATH)");
  cmd->add_option("--store", *path,
                  "evidence store URL: sqlite:PATH, a file path, or postgresql://... (default: $OEP_STORE_URL, "
                  "else $OEP_STATE_PATH, else the demo store)")
      ->excludes(file);
}

namespace {
std::string& CliTenant() {
  static std::string tenant(kDefaultTenant);
  return tenant;
}
}  // namespace

void AddTenant(CLI::App* cmd) {
  cmd->add_option("--tenant", CliTenant(), "the tenant whose evidence is read and written (default: default)");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, Store::Mode mode) {
  auto store = Store::Open(url, mode);
  if (!store.ok() || CliTenant() == kDefaultTenant) return store;
  auto exists = (*store)->TenantExists(CliTenant());
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return Status::InvalidArgument("--tenant " + CliTenant() + ": no such tenant in " + (*store)->path() +
                            " (create it with `oep tenant create " + CliTenant() + "`)");
  }
  (*store)->ScopeToTenant(CliTenant());
  return store;
}

void AddOutputFormat(CLI::App* cmd, std::string* format, const std::string& fallback) {
  cmd->add_option("--output-format", *format, "human | json | jsonl | markdown (default: " + fallback + ")")
      ->check(CLI::IsMember({"human", "json", "jsonl", "markdown"}));
}

std::string Resolve(const std::string& state_path) { return state_path.empty() ? DefaultStatePath() : state_path; }

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int PrintRecord(const rapidjson::Value& record, const std::string& field, const std::string& format,
                const RenderFn& render) {
  const rapidjson::Value* value = &record;
  if (!field.empty()) {
    value = json::FindDotted(record, field);
    if (value == nullptr) {
      std::string fields;
      for (const auto& m : record.GetObject()) fields += std::string(fields.empty() ? "" : ", ") + m.name.GetString();
      return Fail(Status::InvalidArgument("--field " + field + ": not in the record; top-level fields: " + fields));
    }
  }
  std::string out;
  if (format == "human" || format == "markdown") {
    if (field.empty()) out = render(*value, format);
    else out = EscapeForTerminal(value->IsString() ? std::string(value->GetString(), value->GetStringLength())
                                                   : json::CanonicalText(*value)) + "\n";
  } else {
    Status s = json::Canonicalize(*value, &out, format == "json" ? 2 : 0);
    if (!s.ok()) return Fail(s);
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace oep::cli
