#include "rego/policy_loader.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "rego/parser.h"
#include "util/files.h"

namespace oep::rego {
namespace {

namespace fs = std::filesystem;

Value Merge(const Value& base, const Value& add) {
  if (!base.is_object() || !add.is_object()) return add;
  Object o = base.object();
  for (const auto& [k, v] : add.object()) {
    auto it = o.find(k);
    o[k] = it == o.end() ? v : Merge(it->second, v);
  }
  return Value::MakeObject(o);
}

Value Nest(const std::vector<std::string>& path, const Value& v) {
  Value out = v;
  for (auto it = path.rbegin(); it != path.rend(); ++it) out = Value::MakeObject({{Value::String(*it), out}});
  return out;
}

}  // namespace

std::variant<LoadedPolicy, RegoError> LoadPolicy(const std::vector<std::string>& paths, RegoVersion version) {
  std::vector<Module> modules;
  Value data = Value::MakeObject({});
  auto load_rego = [&](const std::string& file) -> std::optional<RegoError> {
    auto text = ReadFile(file);
    if (!text.ok()) return RegoError{"rego_parse_error", text.status().message(), file, {}};
    auto parsed = ParseModule(*text, file, version);
    if (auto* err = std::get_if<RegoError>(&parsed)) return *err;
    modules.push_back(std::move(std::get<Module>(parsed)));
    return std::nullopt;
  };
  auto load_json = [&](const std::string& file, const std::vector<std::string>& at) -> std::optional<RegoError> {
    auto text = ReadFile(file);
    if (!text.ok()) return RegoError{"rego_parse_error", text.status().message(), file, {}};
    auto v = Value::FromJsonText(*text);
    if (!v.ok()) return RegoError{"rego_parse_error", file + ": " + v.status().message(), file, {}};
    data = Merge(data, Nest(at, *v));
    return std::nullopt;
  };
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file()) files.push_back(it->path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::optional<RegoError> err;
        if (f.extension() == ".rego") {
          err = load_rego(f.string());
        } else if (f.filename() == "data.json") {
          std::vector<std::string> at;
          for (const auto& part : fs::relative(f.parent_path(), p)) {
            if (part != ".") at.push_back(part.string());
          }
          err = load_json(f.string(), at);
        }
        if (err) return *err;
      }
    } else if (fs::is_regular_file(p, ec)) {
      auto err = fs::path(p).extension() == ".rego" ? load_rego(p) : load_json(p, {});
      if (err) return *err;
    } else {
      return RegoError{"rego_parse_error", p + ": no such file or directory", p, {}};
    }
  }
  LoadedPolicy out;
  std::set<std::string> tests;
  for (const auto& m : modules) {
    for (const auto& r : m.rules) {
      if (r->path.empty() || r->path.back().rfind("test_", 0) != 0 || r->kind != RuleKind::kComplete) continue;
      std::string name = "data";
      for (const auto& s : r->path) name += "." + s;
      tests.insert(name);
    }
  }
  out.test_rules.assign(tests.begin(), tests.end());
  auto compiled = Engine::Compile(std::move(modules), data, version == RegoVersion::kV0);
  if (auto* err = std::get_if<RegoError>(&compiled)) return *err;
  out.engine = std::move(std::get<std::unique_ptr<Engine>>(compiled));
  return out;
}

}  // namespace oep::rego
