// The readable report of a verified export (markdown here; PDF in src/pdf).
#include "export/export.h"
#include "json/json.h"

namespace oep {

using rapidjson::Value;

namespace {

std::string S(const Value& obj, const char* key) { return obj.IsObject() ? json::GetString(obj, key) : ""; }

std::string Num(const Value& obj, const char* key) {
  const Value* v = obj.IsObject() ? json::GetMember(obj, key) : nullptr;
  return v && v->IsInt64() ? std::to_string(v->GetInt64()) : "";
}

const Value& Member(const Value& obj, const char* key) {
  static const Value kNull;
  const Value* v = obj.IsObject() ? json::GetMember(obj, key) : nullptr;
  return v ? *v : kNull;
}

// The array member `key` of `obj`, or an empty array (an export is checked by its hashes,
// not by shape: the report must not trust the shape).
const Value& Items(const Value& obj, const char* key) {
  static const Value kEmpty(rapidjson::kArrayType);
  const Value& v = Member(obj, key);
  return v.IsArray() ? v : kEmpty;
}

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
std::string CutUtf8(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

ReportSection Summary(const Value& d) {
  const Value& subject = Member(d, "subject");
  const Value& v = Member(d, "verification");
  const Value& release = Member(d, "release");
  const Value& rel = Member(release, "release");
  ReportSection s;
  s.heading = "Summary";
  s.fields = {
      {S(subject, "kind") == "decision" ? "Decision" : "Run", S(subject, "id")},
      {"Tenant", S(subject, "tenant")},
      {"Chain", S(subject, "chain_id")},
      {"Release", release.IsObject() ? S(rel, "name") + " " + S(rel, "version") + " (" + S(release, "manifest_id") + ")"
                                     : "no release manifest exported"},
      {"Evidence class", S(v, "evidence_class")},
      {"Verification", Member(v, "ok").IsTrue() ? "chain verified: " + Num(v, "entries") + " entries, " +
                                                      (Member(v, "sealed").IsTrue() ? "sealed" : "unsealed")
                                                : "FAILED: " + S(v, "failure")},
      {"Seal key", S(v, "seal_key_id").empty() ? "none" : S(v, "seal_key_id")},
      {"Trusted keys", Member(v, "trusted_keys_given").IsTrue() ? "given to the exporter" : "none given to the exporter"},
      {"Inclusion proofs", Member(d, "inclusion").IsObject()
                               ? std::to_string(Items(Member(d, "inclusion"), "proofs").Size()) + " against a signed checkpoint"
                               : "none (no checkpoint)"},
      {"Export digest", S(d, "export_digest")},
      {"Generated at", S(d, "generated_at")},
      {"Generator", S(d, "generator")},
  };
  s.paragraphs.push_back(
      "Re-verify this export offline with: oep verify --export FILE --trusted-key server=KEY.pem. The PDF and "
      "markdown forms are made from the verified JSON export and carry its digest.");
  return s;
}

// A section that is one table, a row per element of `items` (`if_empty` when there are none).
template <typename RowFn>
ReportSection TableSection(const char* heading, std::vector<std::string> header, const Value& items, RowFn row,
                           const char* if_empty) {
  ReportSection s;
  s.heading = heading;
  s.header = std::move(header);
  for (const auto& item : items.GetArray()) s.rows.push_back(row(item));
  if (s.rows.empty()) s.paragraphs.push_back(if_empty);
  return s;
}

ReportSection Timeline(const Value& d) {
  return TableSection(
      "Timeline", {"At", "Kind", "What", "Ref"}, Items(d, "timeline"),
      [](const Value& t) -> std::vector<std::string> {
        return {S(t, "at").empty() ? "(no time)" : S(t, "at"), S(t, "kind"), S(t, "what"), S(t, "ref")};
      },
      "No timed evidence in this export.");
}

ReportSection Decisions(const Value& d) {
  ReportSection s = TableSection(
      "Policy decisions", {"Decision", "Tool", "Outcome", "Rule", "Reason"}, Items(d, "decisions"),
      [](const Value& x) -> std::vector<std::string> {
        const Value& allow = Member(x, "allow");
        std::string outcome = allow.IsBool() ? (allow.GetBool() ? "allow" : "deny") : "value";
        return {S(x, "decision_id"), S(x, "tool"), outcome, S(x, "matched_rule"), S(x, "reason")};
      },
      "No policy decisions in this export.");
  for (const auto& x : Items(d, "decisions").GetArray()) {
    for (const auto& issue : Items(x, "join_issues").GetArray()) {
      if (issue.IsString()) s.paragraphs.push_back(S(x, "decision_id") + ": join issue: " + issue.GetString());
    }
  }
  return s;
}

ReportSection Approvals(const Value& d) {
  ReportSection s;
  s.heading = "Approvals and break-glass";
  s.header = {"Decision", "Approval", "Approver", "Captured at", "Break-glass"};
  for (const auto& x : Items(d, "decisions").GetArray()) {
    const Value& a = Member(x, "approval");
    if (!a.IsObject() && !Member(x, "break_glass").IsTrue()) continue;
    s.rows.push_back({S(x, "decision_id"), a.IsObject() ? S(a, "outcome") : "none",
                      a.IsObject() ? S(Member(a, "approver"), "id") : "", a.IsObject() ? ExportTimestamp(S(a, "captured_at")) : "",
                      Member(x, "break_glass").IsTrue() ? "yes" : "no"});
  }
  for (const auto& r : Items(d, "records").GetArray()) {
    if (S(r, "table") != "human_reviews") continue;
    const Value& b = Member(r, "body");
    s.rows.push_back({S(Member(b, "reviewed_decision_ref"), "event_id"), S(Member(b, "action"), "outcome"),
                      S(Member(b, "reviewer"), "id"), ExportTimestamp(S(b, "event_time")), "no"});
  }
  if (s.rows.empty()) s.paragraphs.push_back("No approvals or break-glass decisions recorded.");
  return s;
}

ReportSection Exposure(const Value& d) {
  return TableSection(
      "GDPR exposure findings", {"Severity", "Detector", "Record", "Pointer", "Excerpt"}, Items(d, "exposure"),
      [](const Value& f) -> std::vector<std::string> {
        return {S(f, "severity"), S(f, "detector"), S(f, "record"), S(f, "pointer"), S(f, "excerpt")};
      },
      "No personal data or credentials detected in the exported payloads.");
}

ReportSection Tools(const Value& d) {
  return TableSection(
      "Tool access audit",
      {"Actor", "Tool", "Calls", "Allowed", "Denied", "Approved", "Break-glass", "First use", "Last use"},
      Items(d, "tool_audit"),
      [](const Value& u) -> std::vector<std::string> {
        return {S(u, "actor"), S(u, "tool"), Num(u, "calls"), Num(u, "allowed"), Num(u, "denied"),
                Num(u, "approved"), Num(u, "break_glass"), S(u, "first_use"), S(u, "last_use")};
      },
      "No tool decisions in this export.");
}

ReportSection Counterfactual(const Value& d) {
  const Value& cf = Member(d, "counterfactual");
  ReportSection s = TableSection(
      "Counterfactual results", {"Decision", "Transition", "Recorded rule", "Counterfactual rule", "Reason", "Replay"},
      Items(cf, "results"),
      [](const Value& x) -> std::vector<std::string> {
        return {S(x, "decision_id"), S(x, "transition"), S(x, "original_rule"), S(x, "counterfactual_rule"),
                S(x, "counterfactual_reason"), S(x, "replay_class")};
      },
      "No decision to re-decide in this export.");
  s.fields = {{"Bundle", S(cf, "bundle_digest")}, {"Engine", S(cf, "engine")}};
  return s;
}

ReportSection Payloads(const Value& d) {
  ReportSection s;
  s.heading = "Evidence payloads";
  s.paragraphs.push_back("Each payload is its stored canonical JSON; long payloads are cut and named by their full digest.");
  auto add = [&](const Value& r) {
    std::string body = json::CanonicalText(Member(r, "body"));
    ReportPayload p{S(r, "table") + "/" + S(r, "id"), S(r, "digest"), CutUtf8(body, kReportPayloadBytes), body.size(), false};
    p.truncated = p.text.size() < body.size();
    s.payloads.push_back(std::move(p));
  };
  for (const auto& r : Items(d, "records").GetArray()) add(r);
  for (const auto& c : Items(d, "context").GetArray()) add(Member(c, "record"));
  return s;
}

ReportSection Tombstoned(const Value& d) {
  ReportSection s = TableSection(
      "Deleted by retention", {"Record", "Status", "Content hash", "Deleted at"}, Items(d, "tombstoned"),
      [](const Value& t) -> std::vector<std::string> {
        return {S(t, "table") + "/" + S(t, "id"), S(t, "status"), "sha256:" + S(t, "content_hash"), S(t, "deleted_at")};
      },
      "");
  s.paragraphs.push_back("These payloads were deleted under retention; their tombstones keep the content hash the "
                         "ledger commits to, so the chain still verifies.");
  return s;
}

void MarkdownTable(const ReportSection& s, std::string* out) {
  auto cell = [](std::string c) {
    std::string o;
    for (char ch : c) o += ch == '|' ? std::string("\\|") : ch == '\n' ? std::string(" ") : std::string(1, ch);
    return o;
  };
  *out += "|";
  for (const auto& h : s.header) *out += " " + h + " |";
  *out += "\n|";
  for (size_t i = 0; i < s.header.size(); ++i) *out += " --- |";
  *out += "\n";
  for (const auto& row : s.rows) {
    *out += "|";
    for (const auto& c : row) *out += " " + cell(c) + " |";
    *out += "\n";
  }
  *out += "\n";
}

}  // namespace

ExportReport BuildExportReport(const Value& d) {
  ExportReport r;
  const Value& subject = Member(d, "subject");
  r.title = "oep evidence export: " + S(subject, "kind") + " " + S(subject, "id");
  r.notice = S(d, "notice");
  r.sections = {Summary(d), Timeline(d), Decisions(d), Approvals(d)};
  if (Member(d, "counterfactual").IsObject()) r.sections.push_back(Counterfactual(d));
  for (auto* section : {Exposure, Tools, Payloads}) r.sections.push_back(section(d));
  if (Member(d, "tombstoned").IsArray()) r.sections.push_back(Tombstoned(d));
  return r;
}

std::string RenderExportMarkdown(const ExportReport& report) {
  std::string out = "# " + report.title + "\n\n> " + report.notice + "\n\n";
  for (const auto& s : report.sections) {
    out += "## " + s.heading + "\n\n";
    for (const auto& [k, v] : s.fields) out += "- **" + k + "**: " + v + "\n";
    if (!s.fields.empty()) out += "\n";
    if (!s.header.empty() && !s.rows.empty()) MarkdownTable(s, &out);
    for (const auto& p : s.paragraphs) out += p + "\n\n";
    for (const auto& p : s.payloads) {
      out += "### " + p.label + "\n\n" + p.digest + ", " + std::to_string(p.size) + " bytes" +
             (p.truncated ? " (cut to the first " + std::to_string(p.text.size()) + ")" : "") + "\n\n```json\n" + p.text +
             (p.truncated ? " …" : "") + "\n```\n\n";
    }
  }
  return out;
}

}  // namespace oep
