// graph.reachable and graph.reachable_paths over an adjacency object (vertex -> array or
// set of vertices).
#include <deque>
#include <optional>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

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

void RegisterGraphBuiltins(Registry& r) {
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
}

}  // namespace oep::rego
