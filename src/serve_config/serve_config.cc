#include "serve_config/serve_config.h"

#include <yaml.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "retention/retention.h"
#include "util/files.h"

namespace oep {
namespace {

// A parsed YAML node with the line it starts on (1-based).
struct Node {
  enum class Kind { kScalar, kSequence, kMapping } kind = Kind::kScalar;
  int line = 0;
  std::string scalar;
  std::vector<Node> items;                              // sequence
  std::vector<std::pair<Node, Node>> members;           // mapping, in document order
};

class Reader {
 public:
  Reader(const std::string& path, const std::string& text) : path_(path) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Reader() {
    if (have_event_) yaml_event_delete(&event_);  // the event a refusal stopped at (an alias's name)
    yaml_parser_delete(&parser_);
  }

  // The document's root (an empty mapping for an empty file).
  Result<Node> Document() {
    for (;;) {
      OEP_RETURN_IF_ERROR(Next());
      if (event_.type == YAML_STREAM_END_EVENT) return Node{Node::Kind::kMapping, 1, "", {}, {}};
      if (event_.type == YAML_DOCUMENT_START_EVENT) break;
    }
    OEP_RETURN_IF_ERROR(Next());
    if (event_.type == YAML_DOCUMENT_END_EVENT) return Node{Node::Kind::kMapping, 1, "", {}, {}};
    return Parse(0);
  }

 private:
  Status Next() {
    if (have_event_) yaml_event_delete(&event_);
    have_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) {
      return Status::InvalidArgument(path_ + ":" + std::to_string(parser_.problem_mark.line + 1) + ": " +
                                     (parser_.problem ? parser_.problem : "YAML syntax error"));
    }
    have_event_ = true;
    return Status::Ok();
  }

  Result<Node> Parse(int depth) {
    if (depth > 8) return Status::InvalidArgument(path_ + ":" + Line() + ": nested too deeply");
    Node n;
    n.line = static_cast<int>(event_.start_mark.line) + 1;
    switch (event_.type) {
      case YAML_SCALAR_EVENT:
        n.scalar.assign(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
        return n;
      case YAML_SEQUENCE_START_EVENT:
        n.kind = Node::Kind::kSequence;
        for (;;) {
          OEP_RETURN_IF_ERROR(Next());
          if (event_.type == YAML_SEQUENCE_END_EVENT) return n;
          auto item = Parse(depth + 1);
          if (!item.ok()) return item.status();
          n.items.push_back(std::move(*item));
        }
      case YAML_MAPPING_START_EVENT:
        n.kind = Node::Kind::kMapping;
        for (;;) {
          OEP_RETURN_IF_ERROR(Next());
          if (event_.type == YAML_MAPPING_END_EVENT) return n;
          auto key = Parse(depth + 1);
          if (!key.ok()) return key.status();
          OEP_RETURN_IF_ERROR(Next());
          auto value = Parse(depth + 1);
          if (!value.ok()) return value.status();
          n.members.emplace_back(std::move(*key), std::move(*value));
        }
      case YAML_ALIAS_EVENT:
        return Status::InvalidArgument(path_ + ":" + Line() + ": aliases are not allowed in a config");
      default:
        return Status::InvalidArgument(path_ + ":" + Line() + ": unexpected YAML");
    }
  }

  std::string Line() const { return std::to_string(event_.start_mark.line + 1); }

  std::string path_;
  yaml_parser_t parser_;
  yaml_event_t event_{};
  bool have_event_ = false;
};

class Applier {
 public:
  Applier(std::string path, const std::set<std::string>& keep) : path_(std::move(path)), keep_(keep) {}

  Status Bad(const Node& n, const std::string& what) const {
    return Status::InvalidArgument(path_ + ":" + std::to_string(n.line) + ": " + what);
  }

  Status Str(const Node& n, const std::string& key, std::string* out) const {
    if (n.kind != Node::Kind::kScalar) return Bad(n, key + ": expected a string");
    if (!keep_.count(key)) *out = n.scalar;
    return Status::Ok();
  }

  Status List(const Node& n, const std::string& key, std::vector<std::string>* out) const {
    if (n.kind != Node::Kind::kSequence) return Bad(n, key + ": expected a list of strings");
    std::vector<std::string> values;
    for (const auto& item : n.items) {
      if (item.kind != Node::Kind::kScalar) return Bad(item, key + ": expected a list of strings");
      values.push_back(item.scalar);
    }
    if (!keep_.count(key)) *out = values;
    return Status::Ok();
  }

  template <typename T>
  Status Int(const Node& n, const std::string& key, long long lo, long long hi, T* out) const {
    std::string expected = "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (n.kind != Node::Kind::kScalar || n.scalar.empty() || n.scalar.size() > 18 ||
        n.scalar.find_first_not_of("0123456789") != std::string::npos) {
      return Bad(n, key + ": " + expected);
    }
    long long v = std::stoll(n.scalar);
    if (v < lo || v > hi) return Bad(n, key + ": " + expected + ", found " + n.scalar);
    if (!keep_.count(key)) *out = static_cast<T>(v);
    return Status::Ok();
  }

  using Fields = std::map<std::string, std::function<Status(const Node&)>>;
  Status Mapping(const Node& n, const std::string& where, const Fields& fields) const {
    if (n.kind != Node::Kind::kMapping) return Bad(n, (where.empty() ? "the config" : where) + ": expected a mapping");
    std::set<std::string> seen;
    for (const auto& [key, value] : n.members) {
      std::string name = key.kind == Node::Kind::kScalar ? key.scalar : "";
      auto it = fields.find(name);
      if (it == fields.end()) {
        std::string expected;
        for (const auto& [k, f] : fields) expected += (expected.empty() ? "" : ", ") + k;
        return Bad(key, "unknown key \"" + (where.empty() ? "" : where + ".") + name + "\"; expected " + expected);
      }
      if (!seen.insert(name).second) return Bad(key, "key \"" + name + "\" given twice");
      OEP_RETURN_IF_ERROR(it->second(value));
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  const std::set<std::string>& keep_;
};

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string QuotedList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quoted(v[i]);
  return out + "]";
}

// retention: {TENANT: {older_than: 30d, audit_older_than: 400d}, ...}, each checked as
// `oep retention apply` checks its flags.
Status ReadRetention(const Applier& a, const Node& n, const std::set<std::string>& keep,
                     std::map<std::string, RetentionSetting>* out) {
  if (n.kind != Node::Kind::kMapping) return a.Bad(n, "retention: expected a mapping of tenant names");
  std::map<std::string, RetentionSetting> settings;
  for (const auto& [key, value] : n.members) {
    if (key.kind != Node::Kind::kScalar || key.scalar.empty()) return a.Bad(key, "retention: expected a tenant name");
    std::string where = "retention." + key.scalar;
    if (settings.count(key.scalar)) return a.Bad(key, "key \"" + key.scalar + "\" given twice");
    RetentionSetting& r = settings[key.scalar];
    Applier::Fields fields = {
        {"older_than", [&](const Node& v) { return a.Str(v, where + ".older_than", &r.older_than); }},
        {"audit_older_than", [&](const Node& v) { return a.Str(v, where + ".audit_older_than", &r.audit_older_than); }},
    };
    OEP_RETURN_IF_ERROR(a.Mapping(value, where, fields));
    if (r.older_than.empty()) return a.Bad(value, where + ": older_than is required");
    auto policy = ParseRetentionPolicy(r.older_than, r.audit_older_than, where + ".older_than", where + ".audit_older_than");
    if (!policy.ok()) return a.Bad(value, policy.status().message());
  }
  if (!keep.count("retention")) *out = std::move(settings);
  return Status::Ok();
}

}  // namespace

Status ReadServeConfig(const std::string& path, const std::set<std::string>& keep, ServeSettings* out) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("--config");
  if (text->size() > (1u << 20)) return Status::InvalidArgument(path + ": a config is at most 1 MiB");
  Reader reader(path, *text);
  auto root = reader.Document();
  if (!root.ok()) return root.status();
  ServeSettings s = *out;
  ServerOptions& o = s.server;
  Applier a(path, keep);
  Applier::Fields tls = {
      {"cert", [&](const Node& n) { return a.Str(n, "tls.cert", &o.tls_cert); }},
      {"key", [&](const Node& n) { return a.Str(n, "tls.key", &o.tls_key); }},
  };
  Applier::Fields limits = {
      {"threads", [&](const Node& n) { return a.Int(n, "limits.threads", 1, 256, &o.threads); }},
      {"max_body_bytes",
       [&](const Node& n) { return a.Int(n, "limits.max_body_bytes", 1024, 1ll << 31, &o.max_body_bytes); }},
      {"read_timeout_seconds",
       [&](const Node& n) { return a.Int(n, "limits.read_timeout_seconds", 1, 3600, &o.read_timeout_seconds); }},
      {"write_timeout_seconds",
       [&](const Node& n) { return a.Int(n, "limits.write_timeout_seconds", 1, 3600, &o.write_timeout_seconds); }},
  };
  Applier::Fields webhooks = {
      {"key", [&](const Node& n) { return a.Str(n, "webhooks.key", &o.webhook_key); }},
      {"max_attempts", [&](const Node& n) { return a.Int(n, "webhooks.max_attempts", 1, 100, &o.webhook_max_attempts); }},
      {"initial_backoff_ms",
       [&](const Node& n) { return a.Int(n, "webhooks.initial_backoff_ms", 1, 3600000, &o.webhook_initial_backoff_ms); }},
      {"queue_capacity",
       [&](const Node& n) { return a.Int(n, "webhooks.queue_capacity", 1, 1000000, &o.webhook_queue_capacity); }},
  };
  Applier::Fields top = {
      {"listen", [&](const Node& n) { return a.Str(n, "listen", &s.listen); }},
      {"state_path", [&](const Node& n) { return a.Str(n, "state_path", &s.state_path); }},
      {"tls", [&](const Node& n) { return a.Mapping(n, "tls", tls); }},
      {"server_key", [&](const Node& n) { return a.Str(n, "server_key", &o.server_key); }},
      {"trusted_keys", [&](const Node& n) { return a.List(n, "trusted_keys", &o.trusted_keys); }},
      {"trusted_keys_file", [&](const Node& n) { return a.Str(n, "trusted_keys_file", &o.trusted_keys_file); }},
      {"redaction_profile", [&](const Node& n) { return a.Str(n, "redaction_profile", &o.redaction_profile); }},
      {"monitors", [&](const Node& n) { return a.List(n, "monitors", &o.monitors); }},
      {"limits", [&](const Node& n) { return a.Mapping(n, "limits", limits); }},
      {"webhooks", [&](const Node& n) { return a.Mapping(n, "webhooks", webhooks); }},
      {"port_file", [&](const Node& n) { return a.Str(n, "port_file", &o.port_file); }},
      {"retention_interval",
       [&](const Node& n) {
         OEP_RETURN_IF_ERROR(a.Str(n, "retention_interval", &o.retention_interval));
         auto interval = ParseRetentionInterval("retention_interval", o.retention_interval);
         return interval.ok() ? Status::Ok() : a.Bad(n, interval.status().message());
       }},
      {"retention", [&](const Node& n) { return ReadRetention(a, n, keep, &o.retention); }},
  };
  OEP_RETURN_IF_ERROR(a.Mapping(*root, "", top));
  *out = std::move(s);
  return Status::Ok();
}

std::string EffectiveConfigYaml(const ServeSettings& s) {
  const ServerOptions& o = s.server;
  std::string y;
  y += "listen: " + Quoted(s.listen) + "\n";
  y += "state_path: " + Quoted(s.state_path) + "\n";
  y += "tls:\n  cert: " + Quoted(o.tls_cert) + "\n  key: " + Quoted(o.tls_key) + "\n";
  y += "server_key: " + Quoted(o.server_key) + "\n";
  y += "trusted_keys: " + QuotedList(o.trusted_keys) + "\n";
  y += "trusted_keys_file: " + Quoted(o.trusted_keys_file) + "\n";
  y += "redaction_profile: " + Quoted(o.redaction_profile) + "\n";
  y += "monitors: " + QuotedList(o.monitors) + "\n";
  y += "limits:\n  threads: " + std::to_string(o.threads) + "\n  max_body_bytes: " + std::to_string(o.max_body_bytes) +
       "\n  read_timeout_seconds: " + std::to_string(o.read_timeout_seconds) +
       "\n  write_timeout_seconds: " + std::to_string(o.write_timeout_seconds) + "\n";
  y += "webhooks:\n  key: " + Quoted(o.webhook_key) + "\n  max_attempts: " + std::to_string(o.webhook_max_attempts) +
       "\n  initial_backoff_ms: " + std::to_string(o.webhook_initial_backoff_ms) +
       "\n  queue_capacity: " + std::to_string(o.webhook_queue_capacity) + "\n";
  y += "port_file: " + Quoted(o.port_file) + "\n";
  y += "retention_interval: " + Quoted(o.retention_interval) + "\n";
  y += "retention:";
  if (o.retention.empty()) y += " {}";
  y += "\n";
  for (const auto& [tenant, r] : o.retention) {
    y += "  " + Quoted(tenant) + ":\n    older_than: " + Quoted(r.older_than) + "\n    audit_older_than: " +
         Quoted(r.audit_older_than.empty() ? "365d" : r.audit_older_than) + "\n";
  }
  return y;
}

}  // namespace oep
