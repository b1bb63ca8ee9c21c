#include "rego/policy_loader.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "rego/builtins.h"
#include "rego/parser.h"
#include "util/files.h"
#include "util/gzip.h"

namespace oep::rego {
namespace {

namespace fs = std::filesystem;

RegoError LoadError(const std::string& file, const std::string& message) {
  return RegoError{"rego_parse_error", message, file, {}};
}

// `add` merged into `base` key by key; a key both give a non-object value is a conflict,
// reported with its path (`at`, dotted).
std::optional<std::string> Merge(Value& base, const Value& add, const std::string& at) {
  if (!base.is_object() || !add.is_object()) return "data files conflict at data" + at;
  Object o = base.object();
  for (const auto& [k, v] : add.object()) {
    auto it = o.find(k);
    if (it == o.end()) {
      o.emplace(k, v);
      continue;
    }
    std::string key = k.is_string() ? k.str() : k.ToJson();
    if (auto err = Merge(it->second, v, at + "." + key)) return err;
  }
  base = Value::MakeObject(std::move(o));
  return std::nullopt;
}

Value Nest(const std::vector<std::string>& path, const Value& v) {
  Value out = v;
  for (auto it = path.rbegin(); it != path.rend(); ++it) out = Value::MakeObject({{Value::String(*it), out}});
  return out;
}

bool IsDataFile(const fs::path& f) {
  auto ext = f.extension();
  return ext == ".json" || ext == ".yaml" || ext == ".yml";
}

// The JSON or YAML document of a data file.
std::variant<Value, RegoError> ParseData(const std::string& file, const std::string* text) {
  auto ext = fs::path(file).extension();
  if (ext != ".yaml" && ext != ".yml") {
    auto v = Value::FromJsonText(*text);
    if (!v.ok()) return LoadError(file, file + ": " + v.status().message());
    return *v;
  }
  BuiltinOut out = Builtins().at("yaml.unmarshal").fn({Value::String(*text)});
  if (out.kind != BuiltinOut::Kind::kValue) return LoadError(file, file + ": " + (out.message.empty() ? "invalid YAML" : out.message));
  return out.value;
}

// The directories of `f` below `root`, as a data path.
std::vector<std::string> DirPath(const fs::path& root, const fs::path& f) {
  std::vector<std::string> at;
  for (const auto& part : fs::relative(f.parent_path(), root)) {
    if (part != "." && !part.empty()) at.push_back(part.string());
  }
  return at;
}

// What a bundle's .manifest says (the members oep reads).
struct Manifest {
  std::vector<std::string> roots;  // "" is the whole of data
  std::optional<RegoVersion> version;
};

// The manifest `text` of `file` (nullptr: the bundle has none).
std::variant<Manifest, RegoError> ParseManifest(const fs::path& file, const std::string* text) {
  Manifest m;
  m.roots = {""};
  if (!text) return m;
  auto v = Value::FromJsonText(*text);
  if (!v.ok() || !v->is_object()) return LoadError(file.string(), file.string() + ": a JSON object is required");
  if (auto roots = v->Get(Value::String("roots"))) {
    if (!roots->is_array()) return LoadError(file.string(), file.string() + ": roots must be an array of strings");
    m.roots.clear();
    for (const auto& r : roots->array()) {
      if (!r.is_string()) return LoadError(file.string(), file.string() + ": roots must be an array of strings");
      m.roots.push_back(r.str());
    }
  }
  if (auto version = v->Get(Value::String("rego_version"))) {
    if (*version == Value::Int(0)) m.version = RegoVersion::kV0;
    else if (*version == Value::Int(1)) m.version = RegoVersion::kV1;
    else return LoadError(file.string(), file.string() + ": rego_version must be 0 or 1");
  }
  return m;
}

// The files of a .tar.gz bundle: (path inside the bundle, contents) of each regular file,
// in archive order. The archive is decompressed within `kMaxBundleBytes`.
constexpr size_t kMaxBundleBytes = size_t{256} << 20;

std::variant<std::vector<std::pair<std::string, std::string>>, RegoError> ReadTarGz(const std::string& path) {
  InputLimits limits;
  limits.max_total_bytes = kMaxBundleBytes;
  limits.max_record_bytes = kMaxBundleBytes;
  auto bytes = ReadBoundedText(path, limits);
  if (!bytes.ok()) return LoadError(path, bytes.status().message());
  const std::string& tar = *bytes;
  std::vector<std::pair<std::string, std::string>> files;
  std::string long_name;  // a GNU 'L' entry names the next one
  for (size_t at = 0; at + 512 <= tar.size();) {
    const char* h = tar.data() + at;
    if (std::all_of(h, h + 512, [](char c) { return c == 0; })) break;  // the end blocks
    auto field = [&](size_t off, size_t len) { return std::string(h + off, strnlen(h + off, len)); };
    size_t size = 0;
    for (char c : field(124, 12)) {
      if (c == ' ') continue;
      if (c < '0' || c > '7') return LoadError(path, path + ": not a tar archive (bad size at offset " + std::to_string(at) + ")");
      size = size * 8 + static_cast<size_t>(c - '0');
    }
    size_t data = at + 512;
    if (size > tar.size() - data) return LoadError(path, path + ": tar entry at offset " + std::to_string(at) + " runs past the end");
    char type = h[156];
    std::string name = field(0, 100);
    if (std::string(h + 257, 5) == "ustar" && h[345]) name = field(345, 155) + "/" + name;
    if (!long_name.empty()) name = std::exchange(long_name, "");
    if (type == 'L') long_name = std::string(tar.data() + data, strnlen(tar.data() + data, size));
    else if (type == '0' || type == '\0') files.emplace_back(name, tar.substr(data, size));
    at = data + (size + 511) / 512 * 512;
  }
  for (auto& [name, text] : files) {
    while (name.rfind("./", 0) == 0) name.erase(0, 2);
    while (!name.empty() && name[0] == '/') name.erase(0, 1);
  }
  return files;
}

// Whether the slash-separated data path `path` lies under one of `roots`.
bool UnderRoots(const std::vector<std::string>& roots, const std::vector<std::string>& path) {
  std::string joined;
  for (const auto& p : path) joined += (joined.empty() ? "" : "/") + p;
  for (const auto& root : roots) {
    if (root.empty() || joined == root || joined.rfind(root + "/", 0) == 0 || root.rfind(joined + "/", 0) == 0) return true;
  }
  return false;
}

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  std::optional<RegoError> LoadPath(const std::string& p) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& f : Files(p)) {
        std::optional<RegoError> err;
        if (f.extension() == ".rego") err = LoadRego(f.string(), options_.version);
        else if (IsDataFile(f)) err = LoadData(f.string(), DirPath(p, f));
        if (err) return err;
      }
      return std::nullopt;
    }
    if (fs::is_regular_file(p, ec)) return fs::path(p).extension() == ".rego" ? LoadRego(p, options_.version) : LoadData(p, {});
    return LoadError(p, p + ": no such file or directory");
  }

  // A bundle directory: modules, data.json / data.yaml files, the .manifest.
  std::optional<RegoError> LoadBundle(const std::string& bundle) {
    // (path inside the bundle, contents) of its files, from a directory or a .tar.gz.
    std::vector<std::pair<std::string, std::string>> files;
    std::error_code ec;
    if (fs::is_directory(bundle, ec)) {
      for (const auto& f : Files(bundle)) {
        std::string rel = fs::relative(f, bundle).generic_string();
        std::string name = f.filename().string();
        if (f.extension() != ".rego" && name != ".manifest" && name != "data.json" && name != "data.yaml" && name != "data.yml") continue;
        auto text = ReadFile(f.string());
        if (!text.ok()) return LoadError(f.string(), text.status().message());
        files.emplace_back(rel, std::move(*text));
      }
    } else if (fs::is_regular_file(bundle, ec)) {
      auto archive = ReadTarGz(bundle);
      if (auto* err = std::get_if<RegoError>(&archive)) return *err;
      files = std::move(std::get<0>(archive));
    } else {
      return LoadError(bundle, bundle + ": no such bundle directory or .tar.gz file");
    }
    const std::string* manifest_text = nullptr;
    for (const auto& [rel, text] : files) {
      if (rel == ".manifest") manifest_text = &text;
    }
    auto manifest = ParseManifest(fs::path(bundle) / ".manifest", manifest_text);
    if (auto* err = std::get_if<RegoError>(&manifest)) return *err;
    const Manifest& m = std::get<Manifest>(manifest);
    RegoVersion version = m.version.value_or(options_.version);
    size_t first_module = modules_.size();
    for (const auto& [rel, text] : files) {
      fs::path f(rel);
      std::string shown = (fs::path(bundle) / f).string();
      std::string name = f.filename().string();
      std::optional<RegoError> err;
      if (f.extension() == ".rego") {
        err = LoadRegoText(shown, text, version);
      } else if (name == "data.json" || name == "data.yaml" || name == "data.yml") {
        std::vector<std::string> at;
        for (const auto& part : f.parent_path()) {
          if (part != "." && !part.empty()) at.push_back(part.string());
        }
        if (!UnderRoots(m.roots, at)) return LoadError(shown, shown + ": data outside the bundle's roots");
        err = LoadDataText(shown, text, at);
      }
      if (err) return err;
    }
    for (size_t i = first_module; i < modules_.size(); ++i) {
      if (!UnderRoots(m.roots, modules_[i].package)) {
        return LoadError(modules_[i].file, modules_[i].file + ": package outside the bundle's roots");
      }
    }
    return std::nullopt;
  }

  std::variant<LoadedPolicy, RegoError> Finish() {
    LoadedPolicy out;
    out.tests = Tests();
    // A v0 module anywhere (--v0-compatible, or a bundle whose manifest says rego_version 0)
    // offers the deprecated built-ins.
    bool v0 = any_v0_ || options_.version == RegoVersion::kV0;
    auto compiled = Engine::Compile(std::move(modules_), std::move(data_), v0);
    if (auto* err = std::get_if<RegoError>(&compiled)) return *err;
    out.engine = std::move(std::get<std::unique_ptr<Engine>>(compiled));
    return out;
  }

 private:
  static std::vector<fs::path> Files(const std::string& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::optional<RegoError> LoadRego(const std::string& file, RegoVersion version) {
    auto text = ReadFile(file);
    if (!text.ok()) return LoadError(file, text.status().message());
    return LoadRegoText(file, *text, version);
  }

  std::optional<RegoError> LoadRegoText(const std::string& file, const std::string& text, RegoVersion version) {
    auto parsed = ParseModule(text, file, version);
    if (auto* err = std::get_if<RegoError>(&parsed)) return *err;
    modules_.push_back(std::move(std::get<Module>(parsed)));
    any_v0_ = any_v0_ || version == RegoVersion::kV0;
    return std::nullopt;
  }

  std::optional<RegoError> LoadData(const std::string& file, const std::vector<std::string>& at) {
    auto text = ReadFile(file);
    if (!text.ok()) return LoadError(file, text.status().message());
    return LoadDataText(file, *text, at);
  }

  std::optional<RegoError> LoadDataText(const std::string& file, const std::string& text, const std::vector<std::string>& at) {
    auto v = ParseData(file, &text);
    if (auto* err = std::get_if<RegoError>(&v)) return *err;
    if (auto conflict = Merge(data_, Nest(at, std::get<Value>(v)), "")) return LoadError(file, file + ": " + *conflict);
    return std::nullopt;
  }

  // The test rules by file, then position; duplicates numbered when the options say so.
  std::vector<TestRule> Tests() {
    std::vector<Module*> by_file;
    for (auto& m : modules_) by_file.push_back(&m);
    std::stable_sort(by_file.begin(), by_file.end(), [](const Module* a, const Module* b) { return a->file < b->file; });
    std::map<std::vector<std::string>, int> seen;
    std::vector<TestRule> tests;
    for (Module* m : by_file) {
      for (auto& r : m->rules) {
        if (r->path.empty()) continue;
        std::string& name = r->path.back();
        bool skip = name.rfind("todo_test_", 0) == 0;
        if (!skip && name.rfind("test_", 0) != 0) continue;
        if (options_.number_duplicate_tests && !skip) {
          int n = seen[r->path]++;
          if (n > 0) {
            char suffix[16];
            std::snprintf(suffix, sizeof suffix, "#%02d", n);
            name += suffix;
            for (Rule* alt = r->else_rule.get(); alt; alt = alt->else_rule.get()) alt->path.back() = name;
          }
        }
        std::string package = "data";
        for (const auto& p : m->package) package += "." + p;
        std::string rule_name;  // the head's path below the package
        for (size_t i = m->package.size(); i < r->path.size(); ++i) rule_name += (rule_name.empty() ? "" : ".") + r->path[i];
        tests.push_back(TestRule{package, rule_name, m->file, r->loc, skip});
      }
    }
    if (!options_.number_duplicate_tests) {
      // One entry per test document (several rules may define one).
      std::set<std::string> unique;
      std::vector<TestRule> once;
      for (auto& t : tests) {
        if (unique.insert(t.package + "." + t.name).second) once.push_back(std::move(t));
      }
      return once;
    }
    return tests;
  }

  const LoadOptions& options_;
  std::vector<Module> modules_;
  Value data_ = Value::MakeObject({});
  bool any_v0_ = false;
};

}  // namespace

std::variant<LoadedPolicy, RegoError> LoadPolicy(const std::vector<std::string>& paths, const LoadOptions& options) {
  Loader loader(options);
  for (const auto& b : options.bundles) {
    if (auto err = loader.LoadBundle(b)) return *err;
  }
  for (const auto& p : paths) {
    if (auto err = loader.LoadPath(p)) return *err;
  }
  return loader.Finish();
}

std::variant<LoadedPolicy, RegoError> LoadPolicy(const std::vector<std::string>& paths, RegoVersion version) {
  LoadOptions options;
  options.version = version;
  return LoadPolicy(paths, options);
}

}  // namespace oep::rego
