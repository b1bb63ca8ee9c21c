// The human and markdown renderings of a run diff record (run_diff.h). Values are shown
// as canonical JSON (control characters escaped), shortened to a column budget.
#include <string>

#include "diff/run_diff.h"
#include "json/json.h"

namespace oep {
namespace {

constexpr size_t kValueWidth = 48;
constexpr size_t kLineWidth = 80;

// `text` cut to `width` code points with "…" (UTF-8 continuation bytes are not counted).
std::string Shorten(const std::string& text, size_t width) {
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++points > width - 1) return text.substr(0, i) + "…";
  }
  return text;
}

std::string ValueText(const rapidjson::Value& o, const char* side) {
  const auto* v = json::GetMember(o, side);
  return v ? Shorten(json::CanonicalText(*v), kValueWidth) : "";
}

std::string ChangeLine(const rapidjson::Value& c) {
  std::string kind = json::GetString(c, "change"), pointer = json::GetString(c, "pointer");
  if (pointer.empty()) pointer = "/";
  if (kind == "changed") return pointer + ": " + ValueText(c, "a") + " -> " + ValueText(c, "b");
  if (kind == "added") return pointer + ": added " + ValueText(c, "b");
  if (kind == "removed") return pointer + ": removed (was " + ValueText(c, "a") + ")";
  return pointer + ": " + kind;
}

size_t Columns(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A change as lines for a terminal at kLineWidth columns, each starting with `indent`: one
// line when it fits, else the pointer, then each side's value on its own line.
std::string ChangeLines(const rapidjson::Value& c, const std::string& indent) {
  std::string one = indent + ChangeLine(c);
  if (Columns(one) <= kLineWidth) return one + "\n";
  std::string pointer = json::GetString(c, "pointer"), kind = json::GetString(c, "change");
  std::string out = indent + (pointer.empty() ? "/" : pointer) + ": " + kind + "\n";
  size_t width = kLineWidth - indent.size() - 5;
  for (const char* side : {"a", "b"}) {
    if (const auto* v = json::GetMember(c, side)) out += indent + "  " + side + ": " + Shorten(json::CanonicalText(*v), width) + "\n";
  }
  return out;
}

std::string Count(int64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

int64_t SummaryOf(const rapidjson::Value& diff, const char* category) {
  const auto* s = json::GetMember(diff, "summary");
  const auto* n = s ? json::GetMember(*s, category) : nullptr;
  return n && n->IsInt64() ? n->GetInt64() : 0;
}

std::string StepRef(const rapidjson::Value& o) {
  auto side = [&](const char* name) {
    const auto* n = json::GetMember(o, name);
    return n && n->IsInt64() ? std::to_string(n->GetInt64()) : std::string("-");
  };
  return "step " + side("a_step") + " -> " + side("b_step");
}

std::string DecisionText(const rapidjson::Value* d) {
  if (d == nullptr || !d->IsObject()) return "no decision";
  const auto* allow = json::GetMember(*d, "allow");
  std::string verdict = allow && allow->IsBool() ? (allow->GetBool() ? "allow" : "deny") : "undefined";
  const auto* rule = json::GetMember(*d, "matched_rule");
  if (rule && !rule->IsNull()) verdict += " (" + Shorten(rule->IsString() ? rule->GetString() : json::CanonicalText(*rule), 40) + ")";
  return verdict;
}

const char* OpMark(const std::string& op) {
  if (op == "changed") return "~";
  if (op == "inserted") return "+";
  if (op == "deleted") return "-";
  if (op == "moved") return ">";
  return "=";
}

struct Section {
  const char* key;
  const char* title;
};
constexpr Section kChangeSections[] = {{"prompt_stack", "Prompt stack"}, {"model", "Model configuration"}};

std::string RunLine(const rapidjson::Value& diff, const char* side) {
  const rapidjson::Value& r = diff["runs"][side];
  return json::GetString(r, "run_id") + " (" + json::GetString(r, "source") + ", " +
         Count(r["steps"].GetInt64(), "step") + ")";
}

template <typename Emit>
void ForEachChangeSection(const rapidjson::Value& diff, Emit emit) {
  for (const auto& s : kChangeSections) emit(s.title, diff[s.key]);
}

}  // namespace

std::string RenderRunDiffHuman(const rapidjson::Value& diff) {
  std::string out = "Run diff\n  a  " + RunLine(diff, "a") + "\n  b  " + RunLine(diff, "b") + "\n";
  const rapidjson::Value& profile = diff["profile"];
  out += "  profile " + json::GetString(profile, "name") + " (" + json::GetString(profile, "source") + "), " +
         Count(profile["ignore"].Size(), "ignored field") + "\n";
  int64_t total = SummaryOf(diff, "total");
  out += total == 0 ? "  identical under this profile\n" : "  " + Count(total, "difference") + "\n";
  auto changes = [&](const char* title, const rapidjson::Value& list) {
    out += "\n" + std::string(title) + ": " + (list.Empty() ? "no differences" : Count(list.Size(), "difference")) + "\n";
    for (const auto& c : list.GetArray()) out += ChangeLines(c, "  ");
  };
  ForEachChangeSection(diff, changes);

  const rapidjson::Value& calls = diff["tool_calls"];
  out += "\nTool calls (" + json::GetString(calls, "alignment") + " alignment): " +
         std::to_string(calls["changed"].GetInt64()) + " changed, " + std::to_string(calls["inserted"].GetInt64()) +
         " inserted, " + std::to_string(calls["deleted"].GetInt64()) + " deleted, " +
         std::to_string(calls["moved"].GetInt64()) + " moved, " + std::to_string(calls["same"].GetInt64()) + " same\n";
  for (const auto& s : calls["steps"].GetArray()) {
    std::string op = json::GetString(s, "op");
    out += "  " + std::string(OpMark(op)) + " " + StepRef(s) + "  " + Shorten(json::GetString(s, "call"), 50) +
           (op == "moved" ? "  (moved)" : "") + "\n";
    if (const auto* list = json::GetMember(s, "changes")) {
      for (const auto& c : list->GetArray()) out += ChangeLines(c, "      ");
    }
  }

  const rapidjson::Value& decisions = diff["policy_decisions"];
  out += "\nPolicy decisions: " + (decisions.Empty() ? std::string("no differences") : Count(decisions.Size(), "difference")) + "\n";
  for (const auto& d : decisions.GetArray()) {
    std::string head = "  " + StepRef(d) + "  " + Shorten(json::GetString(d, "call"), 50);
    std::string change = DecisionText(json::GetMember(d, "a")) + " -> " + DecisionText(json::GetMember(d, "b"));
    out += Columns(head + ": " + change) <= kLineWidth ? head + ": " + change + "\n" : head + "\n      " + change + "\n";
  }

  changes("Metadata and tags", diff["metadata"]);

  const rapidjson::Value& cost = diff["cost_duration"];
  out += "\nCost and duration: " +
         (cost["changes"].Empty() ? std::string("no differences") : Count(cost["changes"].Size(), "difference")) + "\n";
  out += "                  a               b\n";
  for (const auto& m : cost["a"].GetObject()) {
    std::string name = m.name.GetString();
    std::string va = json::CanonicalText(m.value), vb = json::CanonicalText(cost["b"][m.name]);
    std::string line = "  " + name;
    line.append(name.size() < 16 ? 16 - name.size() : 1, ' ');
    line += va;
    line.append(va.size() < 16 ? 16 - va.size() : 1, ' ');
    out += line + vb + "\n";
  }
  return out;
}

std::string RenderRunDiffMarkdown(const rapidjson::Value& diff) {
  // An inline code span safe inside a table cell.
  auto code = [](const std::string& s) {
    std::string out = "`";
    for (char c : s) {
      if (c == '`') out += '\'';
      else if (c == '|') out += "\\|";
      else out += c;
    }
    return out + "`";
  };
  auto table = [&](const rapidjson::Value& list, const std::string& indent) {
    std::string t = indent + "| field | change | a | b |\n" + indent + "|---|---|---|---|\n";
    for (const auto& c : list.GetArray()) {
      auto value = [&](const char* side) {
        const auto* v = json::GetMember(c, side);
        return v ? code(Shorten(json::CanonicalText(*v), 120)) : std::string();
      };
      std::string pointer = json::GetString(c, "pointer");
      t += indent + "| " + code(pointer.empty() ? "/" : pointer) + " | " + json::GetString(c, "change") + " | " + value("a") +
           " | " + value("b") + " |\n";
    }
    return t;
  };
  const rapidjson::Value& profile = diff["profile"];
  std::string out = "## Run diff: " + code(json::GetString(diff["runs"]["a"], "run_id")) + " vs " +
                    code(json::GetString(diff["runs"]["b"], "run_id")) + "\n\n";
  out += "- **a**: " + RunLine(diff, "a") + "\n- **b**: " + RunLine(diff, "b") + "\n";
  out += "- **profile**: " + json::GetString(profile, "name") + " (" + json::GetString(profile, "source") + ")\n";
  int64_t total = SummaryOf(diff, "total");
  out += "- **result**: " + (total == 0 ? std::string("identical under this profile") : Count(total, "difference")) + "\n";
  auto changes = [&](const char* title, const rapidjson::Value& list) {
    out += "\n### " + std::string(title) + "\n\n";
    out += list.Empty() ? "No differences.\n" : table(list, "");
  };
  ForEachChangeSection(diff, changes);
  const rapidjson::Value& calls = diff["tool_calls"];
  out += "\n### Tool calls\n\n" + std::to_string(calls["changed"].GetInt64()) + " changed, " +
         std::to_string(calls["inserted"].GetInt64()) + " inserted, " + std::to_string(calls["deleted"].GetInt64()) +
         " deleted, " + std::to_string(calls["moved"].GetInt64()) + " moved, " + std::to_string(calls["same"].GetInt64()) +
         " same (" + json::GetString(calls, "alignment") + " alignment).\n\n";
  for (const auto& s : calls["steps"].GetArray()) {
    out += "- **" + json::GetString(s, "op") + "** " + StepRef(s) + " " + code(json::GetString(s, "call")) + "\n";
    if (const auto* list = json::GetMember(s, "changes"); list && !list->Empty()) out += "\n" + table(*list, "  ") + "\n";
  }
  out += "\n### Policy decisions\n\n";
  if (diff["policy_decisions"].Empty()) out += "No differences.\n";
  for (const auto& d : diff["policy_decisions"].GetArray()) {
    out += "- " + StepRef(d) + " " + code(json::GetString(d, "call")) + ": " + DecisionText(json::GetMember(d, "a")) +
           " → " + DecisionText(json::GetMember(d, "b")) + "\n";
  }
  changes("Metadata and tags", diff["metadata"]);
  out += "\n### Cost and duration\n\n| | a | b |\n|---|---:|---:|\n";
  const rapidjson::Value& cost = diff["cost_duration"];
  for (const auto& m : cost["a"].GetObject()) {
    out += "| " + std::string(m.name.GetString()) + " | " + json::CanonicalText(m.value) + " | " +
           json::CanonicalText(cost["b"][m.name]) + " |\n";
  }
  return out;
}

}  // namespace oep
