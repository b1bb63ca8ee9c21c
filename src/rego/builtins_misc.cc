// object.subset, json.remove / json.filter, graph.reachable, crypto.*.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <cstring>
#include <deque>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rego/builtins.h"

extern char** environ;

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

bool IsSubset(const Value& super, const Value& sub) {
  if (super.is_object() && sub.is_object()) {
    for (const auto& [k, v] : sub.object()) {
      auto s = super.Get(k);
      if (!s || !IsSubset(*s, v)) return false;
    }
    return true;
  }
  if (super.is_set() && sub.is_set()) {
    for (const auto& v : sub.set()) if (!super.set().count(v)) return false;
    return true;
  }
  if (super.is_array() && sub.is_array()) {
    const Array &a = super.array(), &b = sub.array();
    if (b.empty()) return true;
    for (size_t i = 0; i + b.size() <= a.size(); ++i) {
      bool all = true;
      for (size_t j = 0; j < b.size() && all; ++j) all = a[i + j] == b[j];
      if (all) return true;
    }
    return false;
  }
  if (super.is_array() && sub.is_set()) {
    for (const auto& v : sub.set()) {
      if (std::find(super.array().begin(), super.array().end(), v) == super.array().end()) return false;
    }
    return true;
  }
  if (super.is_set() && sub.is_array()) {
    for (const auto& v : sub.array()) if (!super.set().count(v)) return false;
    return true;
  }
  return super == sub;
}

// JSON paths for json.remove / json.filter: "a/b/0" strings or arrays of keys.
// json.remove / json.filter paths: "" when `v` is a collection of paths, else OPA's message.
std::string ParsePaths(const Value& v, std::vector<Array>* out) {
  Array items;
  if (v.is_array()) items = v.array();
  else if (v.is_set()) items.assign(v.set().begin(), v.set().end());
  else return "operand 2 must be one of {set, array} but got " + v.TypeName();
  for (const auto& p : items) {
    Array path;
    if (p.is_string()) {
      std::string s = p.str();
      if (!s.empty() && s[0] == '/') s = s.substr(1);
      size_t start = 0;
      while (start <= s.size() && !s.empty()) {
        size_t slash = s.find('/', start);
        std::string seg = s.substr(start, slash - start);
        // ~1 and ~0 per JSON pointer.
        for (size_t at; (at = seg.find("~1")) != std::string::npos;) seg.replace(at, 2, "/");
        for (size_t at; (at = seg.find("~0")) != std::string::npos;) seg.replace(at, 2, "~");
        path.push_back(Value::String(seg));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
    } else if (p.is_array()) {
      path = p.array();
    } else {
      return "operand 2 must be one of {set, array} containing string paths or array of path segments but got " +
             p.TypeName();
    }
    out->push_back(path);
  }
  return "";
}

// Matches a path key against a value's key: array indices may be given as strings.
std::optional<Value> KeyFor(const Value& container, const Value& key) {
  if (container.is_array() && key.is_string()) {
    char* end = nullptr;
    long idx = std::strtol(key.str().c_str(), &end, 10);
    if (*end || key.str().empty()) return std::nullopt;
    return Value::Int(idx);
  }
  return key;
}

Value Remove(const Value& v, const Array& path, size_t i) {
  if (i >= path.size()) return v;
  auto key = KeyFor(v, path[i]);
  if (!key) return v;
  if (v.is_object()) {
    Object o = v.object();
    auto it = o.find(*key);
    if (it == o.end()) return v;
    if (i + 1 == path.size()) o.erase(it);
    else it->second = Remove(it->second, path, i + 1);
    return Value::MakeObject(o);
  }
  if (v.is_array() && key->is_int()) {
    Array a = v.array();
    auto idx = static_cast<size_t>(key->as_int());
    if (idx >= a.size()) return v;
    if (i + 1 == path.size()) a.erase(a.begin() + static_cast<std::ptrdiff_t>(idx));
    else a[idx] = Remove(a[idx], path, i + 1);
    return Value::MakeArray(a);
  }
  if (v.is_set() && i + 1 == path.size()) {
    Set s = v.set();
    s.erase(*key);
    return Value::MakeSet(s);
  }
  return v;
}

// The parts of v named by paths (a prefix tree of keys).
std::optional<Value> Filter(const Value& v, const std::vector<Array>& paths, size_t depth) {
  for (const auto& p : paths) if (p.size() == depth) return v;
  if (v.is_object()) {
    Object o;
    for (const auto& [k, child] : v.object()) {
      std::vector<Array> sub;
      for (const auto& p : paths) if (p.size() > depth && p[depth] == k) sub.push_back(p);
      if (sub.empty()) continue;
      if (auto f = Filter(child, sub, depth + 1)) o[k] = *f;
    }
    return Value::MakeObject(o);
  }
  if (v.is_array()) {
    Array a;
    for (size_t i = 0; i < v.array().size(); ++i) {
      std::vector<Array> sub;
      for (const auto& p : paths) {
        if (p.size() <= depth) continue;
        auto key = KeyFor(v, p[depth]);
        if (key && key->is_int() && key->as_int() == static_cast<int64_t>(i)) sub.push_back(p);
      }
      if (sub.empty()) continue;
      if (auto f = Filter(v.array()[i], sub, depth + 1)) a.push_back(*f);
    }
    return Value::MakeArray(a);
  }
  if (v.is_set()) {
    Set s;
    for (const auto& e : v.set()) {
      for (const auto& p : paths) if (p.size() > depth && p[depth] == e) s.insert(e);
    }
    return Value::MakeSet(s);
  }
  return std::nullopt;
}


std::string Digest(const char* algo, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_get_digestbyname(algo), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string Hmac(const char* algo, const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_get_digestbyname(algo), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

// Graph vertices: an array or a set of them (anything else has none).
template <typename Fn>
void ForEachVertex(const Value& vertices, Fn fn) {
  if (vertices.is_array()) for (const auto& v : vertices.array()) fn(v);
  else if (vertices.is_set()) for (const auto& v : vertices.set()) fn(v);
}

size_t VertexCount(const Value& vertices) {
  return vertices.is_array() ? vertices.array().size() : vertices.is_set() ? vertices.set().size() : 0;
}

// graph.reachable_paths below `node`, reached by `path`: a path ends at a vertex with no
// edges, before a vertex outside the graph, or where an edge leads back to a reached vertex.
// Each path is reserved from the memory budget first (a graph can have exponentially many);
// *refused holds the budget's error once one does not fit.
void PathsFrom(const Value& graph, const Value& node, Array path, Set& reached, Set& paths,
               std::optional<BuiltinOut>* refused) {
  if (*refused) return;
  auto record = [&](Array p) {
    if ((*refused = ReserveMemory(p.size() + 1, kSetElementBytes))) return;
    paths.insert(Value::MakeArray(std::move(p)));
  };
  auto edges = graph.Get(node);
  if (!edges) {
    record(std::move(path));
    return;
  }
  path.push_back(node);
  if (VertexCount(*edges) == 0) {
    record(std::move(path));
    return;
  }
  reached.insert(node);
  ForEachVertex(*edges, [&](const Value& next) {
    if (*refused) return;
    if (reached.count(next)) record(path);
    else PathsFrom(graph, next, path, reached, paths, refused);
  });
}

}  // namespace

void RegisterMiscBuiltins(Registry& r) {
  // trace(note): true; the note would go to an explanation, which oep does not produce.
  Add(r, "trace", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("trace", 1, "string", a[0]));
    return BuiltinOut::Of(Value::Bool(true));
  });
  // opa.runtime(): the evaluating process's environment, as OPA reports its own (replay
  // answers it from nd_builtin_cache instead); no OPA configuration exists here.
  Add(r, "opa.runtime", 0, [](const Args&) {
    Object env;
    for (char** e = environ; e && *e; ++e) {
      std::string kv = *e;
      size_t eq = kv.find('=');
      if (eq != std::string::npos) env[Value::String(kv.substr(0, eq))] = Value::String(kv.substr(eq + 1));
    }
    Object out{{Value::String("env"), Value::MakeObject(std::move(env))}, {Value::String("config"), Value::MakeObject({})}};
    return BuiltinOut::Of(Value::MakeObject(std::move(out)));
  });
  Add(r, "object.subset", 2, [](const Args& a) {
    if (!a[0].is_object() && !a[0].is_set() && !a[0].is_array()) {
      return BuiltinOut::TypeError(OperandError("object.subset", 1, "any<array, object, set>", a[0]));
    }
    return BuiltinOut::Of(Value::Bool(IsSubset(a[0], a[1])));
  });
  Add(r, "json.remove", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("json.remove", 1, "object", a[0]));
    std::vector<Array> paths;
    if (auto err = ParsePaths(a[1], &paths); !err.empty()) return BuiltinOut::TypeError(err);
    Value v = a[0];
    for (const auto& p : paths) v = Remove(v, p, 0);
    return BuiltinOut::Of(v);
  });
  Add(r, "json.filter", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("json.filter", 1, "object", a[0]));
    std::vector<Array> paths;
    if (auto err = ParsePaths(a[1], &paths); !err.empty()) return BuiltinOut::TypeError(err);
    auto f = Filter(a[0], paths, 0);
    return BuiltinOut::Of(f ? *f : Value::MakeObject({}));
  });
  Add(r, "graph.reachable", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("graph.reachable", 1, "object", a[0]));
    if (!a[1].is_array() && !a[1].is_set()) {
      return BuiltinOut::TypeError(OperandError("graph.reachable", 2, "any<array, set>", a[1]));
    }
    Set seen;
    std::deque<Value> queue;
    ForEachVertex(a[1], [&](const Value& v) { queue.push_back(v); });
    while (!queue.empty()) {
      Value n = queue.front();
      queue.pop_front();
      auto edges = a[0].Get(n);
      if (!edges || seen.count(n)) continue;
      seen.insert(n);
      ForEachVertex(*edges, [&](const Value& e) { queue.push_back(e); });
    }
    return BuiltinOut::Of(Value::MakeSet(seen));
  });
  Add(r, "graph.reachable_paths", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("graph.reachable_paths", 1, "object", a[0]));
    if (!a[1].is_array() && !a[1].is_set()) {
      return BuiltinOut::TypeError(OperandError("graph.reachable_paths", 2, "one of {array, set}", a[1]));
    }
    Set paths;
    std::optional<BuiltinOut> refused;
    ForEachVertex(a[1], [&](const Value& start) {
      auto edges = a[0].Get(start);
      if (!edges) return;
      if (VertexCount(*edges) == 0) {
        paths.insert(Value::MakeArray({start}));
        return;
      }
      // Each first step starts a fresh reached set, shared by everything explored below it.
      ForEachVertex(*edges, [&](const Value& next) {
        Set reached = {start};
        PathsFrom(a[0], next, {start}, reached, paths, &refused);
      });
    });
    if (refused) return *refused;
    return BuiltinOut::Of(Value::MakeSet(std::move(paths)));
  });
  for (const char* algo : {"md5", "sha1", "sha256"}) {
    std::string name = std::string("crypto.") + algo, a_name = algo;
    Add(r, name, 1, [name, a_name](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(name, 1, "string", a[0]));
      return BuiltinOut::Of(Value::String(Digest(a_name.c_str(), a[0].str())));
    });
  }
  for (const char* algo : {"md5", "sha1", "sha256", "sha512"}) {
    std::string name = std::string("crypto.hmac.") + algo, a_name = algo;
    Add(r, name, 2, [name, a_name](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(name, 1, "string", a[0]));
      if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError(name, 2, "string", a[1]));
      return BuiltinOut::Of(Value::String(Hmac(a_name.c_str(), a[1].str(), a[0].str())));
    });
  }
  Add(r, "crypto.hmac.equal", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("crypto.hmac.equal", 1, "string", a[0]));
    if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError("crypto.hmac.equal", 2, "string", a[1]));
    return BuiltinOut::Of(Value::Bool(a[0].str() == a[1].str()));
  });
  Add(r, "array.flatten", 1, [](const Args& a) {
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("array.flatten", 1, "array", a[0]));
    uint64_t n = 0;
    for (const auto& x : a[0].array()) n += x.is_array() ? x.array().size() : 1;
    if (auto refused = ReserveMemory(n, kArrayElementBytes)) return *refused;
    Array out;  // one level deep
    out.reserve(n);
    for (const auto& x : a[0].array()) {
      if (x.is_array()) out.insert(out.end(), x.array().begin(), x.array().end());
      else out.push_back(x);
    }
    return BuiltinOut::Of(Value::MakeArray(std::move(out)));
  });
}

}  // namespace oep::rego
