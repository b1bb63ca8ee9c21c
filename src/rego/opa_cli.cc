#include "rego/opa_cli.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <iterator>
#include <sstream>

#include "json/json.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "util/files.h"

namespace oep::rego {
namespace {

std::string ErrorsJson(const RegoError& e) {
  std::string msg, code, file;
  json::AppendCanonicalString(e.message, &msg);
  json::AppendCanonicalString(e.code, &code);
  json::AppendCanonicalString(e.file, &file);
  return "{\"errors\":[{\"code\":" + code + ",\"location\":{\"col\":" + std::to_string(e.loc.col) +
         ",\"file\":" + file + ",\"row\":" + std::to_string(e.loc.row) + "},\"message\":" + msg + "}]}\n";
}

// The source text of each top-level query expression (split at ';' and newlines
// outside brackets and strings).
std::vector<std::string> ExpressionTexts(const std::string& q) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (in_string) {
      cur += c;
      if (c == '\\' && i + 1 < q.size()) cur += q[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth == 0 && (c == ';' || c == '\n')) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  std::vector<std::string> trimmed;
  for (auto& s : out) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    if (b != std::string::npos) trimmed.push_back(s.substr(b, e - b + 1));
  }
  return trimmed;
}

std::string RenderJson(const std::vector<QueryResult>& rows, const Body& body, const std::vector<std::string>& texts) {
  if (rows.empty()) return "{}\n";
  std::string s = "{\"result\":[";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r) s += ",";
    s += "{";
    if (!rows[r].bindings.empty()) {
      s += "\"bindings\":{";
      bool first = true;
      for (const auto& [name, v] : rows[r].bindings) {
        if (!first) s += ",";
        first = false;
        json::AppendCanonicalString(name, &s);
        s += ":" + v.ToJson();
      }
      s += "},";
    }
    s += "\"expressions\":[";
    for (size_t i = 0; i < rows[r].expressions.size(); ++i) {
      if (i) s += ",";
      std::string text = i < texts.size() ? texts[i] : "";
      s += "{\"location\":{\"col\":" + std::to_string(body[i].loc.col) + ",\"row\":" + std::to_string(body[i].loc.row) +
           "},\"text\":";
      json::AppendCanonicalString(text, &s);
      s += ",\"value\":" + rows[r].expressions[i].ToJson() + "}";
    }
    s += "]}";
  }
  return s + "]}\n";
}

std::string RenderRaw(const std::vector<QueryResult>& rows) {
  std::string s;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.expressions.size(); ++i) {
      const Value& v = row.expressions[i];
      s += v.is_string() ? v.str() : v.ToJson();
      s += i + 1 < row.expressions.size() ? " " : "\n";
    }
  }
  return s;
}

// A value as indented JSON (two spaces, as Go's encoder prints it).
std::string IndentedJson(const Value& v) {
  std::string out;
  auto doc = json::Parse(v.ToJson());
  if (doc.ok() && json::Canonicalize(*doc, &out, 2).ok()) return out + "\n";
  return v.ToJson() + "\n";
}

// OPA's pretty table: one column per binding (sorted by name), then one per expression
// whose value is not `true`; cells are compact JSON.
std::string RenderPretty(const std::vector<QueryResult>& rows, const std::vector<std::string>& texts) {
  if (rows.empty()) return "undefined\n";
  const auto& first = rows[0];
  bool all_bool = true;
  for (const auto& v : first.expressions) all_bool = all_bool && v.is_bool();
  if (rows.size() == 1 && first.bindings.empty() && (first.expressions.size() == 1 || all_bool)) {
    return IndentedJson(first.expressions[0]);
  }
  std::vector<std::string> header;
  for (const auto& [name, v] : first.bindings) header.push_back(name);
  std::vector<size_t> shown;
  for (size_t i = 0; i < first.expressions.size(); ++i) {
    if (!(first.expressions[i].is_bool() && first.expressions[i].as_bool())) {
      shown.push_back(i);
      header.push_back(i < texts.size() ? texts[i] : "");
    }
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (const auto& [name, v] : row.bindings) line.push_back(v.ToJson());
    for (size_t i : shown) line.push_back(i < row.expressions.size() ? row.expressions[i].ToJson() : "");
    cells.push_back(std::move(line));
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& line : cells) width[c] = std::max(width[c], c < line.size() ? line[c].size() : 0);
  }
  auto rule = [&] {
    std::string s = "+";
    for (size_t w : width) s += std::string(w + 2, '-') + "+";
    return s + "\n";
  };
  auto line = [&](const std::vector<std::string>& v) {
    std::string s = "|";
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < v.size() ? v[c] : "";
      s += " " + cell + std::string(width[c] - cell.size(), ' ') + " |";
    }
    return s + "\n";
  };
  std::string s = rule() + line(header) + rule();
  for (const auto& l : cells) s += line(l);
  return s + rule();
}

}  // namespace

CliOutput OpaEval(const OpaEvalOptions& o) {
  CliOutput out;
  auto fail = [&](const RegoError& e) {
    out.out = ErrorsJson(e);
    out.exit_code = 2;
    return out;
  };
  LoadOptions lo;
  lo.version = o.v0_compatible ? RegoVersion::kV0 : RegoVersion::kV1;
  lo.bundles = o.bundles;
  auto policy = LoadPolicy(o.data, lo);
  if (auto* err = std::get_if<RegoError>(&policy)) return fail(*err);
  std::optional<Value> input;
  if (o.input_file || o.stdin_input) {
    std::string text;
    if (o.input_file) {
      auto t = ReadFile(*o.input_file);
      if (!t.ok()) return fail(RegoError{"invalid_argument", t.status().message(), *o.input_file, {}});
      text = *t;
    } else {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    auto v = Value::FromJsonText(text);
    if (!v.ok()) return fail(RegoError{"invalid_argument", "input: " + v.status().message(), o.input_file.value_or("stdin"), {}});
    input = *v;
  }
  auto query = ParseQuery(o.query);
  if (auto* err = std::get_if<RegoError>(&query)) return fail(*err);
  const Body& body = std::get<Body>(query);
  if (auto err = std::get<LoadedPolicy>(policy).engine->CheckQueryTypes(body)) return fail(*err);
  EvalOptions eo;
  eo.strict_builtin_errors = o.strict_builtin_errors;
  eo.max_memory_bytes = o.max_memory_bytes;
  auto result = std::get<LoadedPolicy>(policy).engine->Query(body, input, eo);
  if (auto* err = std::get_if<RegoError>(&result)) return fail(*err);
  const auto& rows = std::get<std::vector<QueryResult>>(result);
  std::vector<std::string> texts = ExpressionTexts(o.query);
  if (o.format == "raw") out.out = RenderRaw(rows);
  else if (o.format == "pretty") out.out = RenderPretty(rows, texts);
  else out.out = RenderJson(rows, body, texts);
  if (o.fail && rows.empty()) out.exit_code = 1;
  if (o.fail_defined && !rows.empty()) out.exit_code = 1;
  return out;
}

}  // namespace oep::rego
