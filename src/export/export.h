// Compliance exports: one run or one decision with its evidence, the verification of the
// chain that holds it, and the means to re-verify everything offline, as one RFC 8785
// canonical JSON document (schema_version "oep.compliance_export.v0"):
//   notice          the product's own words: evidence support, an audit aid, non-certifying
//   subject         {"kind": "run" | "decision", "id", "tenant", "chain_id"}
//   generated_at    YYYY-MM-DDTHH:MM:SS.sssZ (every time the export itself writes has this form;
//                   stored bodies keep their recorded bytes, which their hashes cover)
//   generator       "oep <version>"
//   chain           every ledger entry of the subject's chain, in order: {"entry_id", "chain_id",
//                   "seq", "kind", "artifact_table", "artifact_id", "content_hash", "source",
//                   "payload" (object or null), "prev_hash", "entry_hash"}
//   records         [{"table", "id", "digest", "source", "entry_id", "body"}]: the rows the
//                   export carries (a run: every row of its chain; a decision: the rows of its
//                   replay), body the stored canonical JSON
//   context         [{"record": <as records>, "entry": <as chain>}]: rows of other chains
//                   (the release manifest, the trace), each with the entry covering it
//   verification    the exporter's checks of the chain (VerifyChainEntries) and of each of its
//                   rows against the content hash its entry commits to: ok, failure,
//                   evidence_class ("NONE" when failed), sealed, authority, seal_key_id, ...,
//                   trusted_keys_given
//   seals           the chain's seal payloads
//   inclusion       null, or {"checkpoint": signed note, "proofs": [oep-inclusion-proof-v1 ...]}
//                   for every exported entry
//   release         the release manifest's id and release block, or null
//   decisions       one summary per decision: id, time, actor, tool, allow, rule, reason,
//                   approval, break_glass, join_issues
//   timeline        [{"at", "kind", "ref", "what"}] in time order
//   exposure        GDPR exposure findings over the exported bodies (src/exposure)
//   tool_audit      per actor and tool (src/tool_audit)
//   counterfactual  null, or with a substituted bundle {"bundle_digest", "engine", "results":
//                   [{"decision_id", "transition", "original_rule", "counterfactual_rule",
//                   "counterfactual_reason", "replay_class"}]}: each exported decision
//                   re-decided by the native engine (src/replay/counterfactual.h)
//   export_digest   "sha256:<hex>" of the canonical JSON of the document without export_digest
// The file is exactly those canonical bytes followed by one "\n".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "keys/keys.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kExportSchemaVersion = "oep.compliance_export.v0";
inline constexpr std::string_view kExportNotice =
    "This export is evidence support: an audit aid that presents recorded evidence and the checks oep ran on it. "
    "It is non-certifying: it makes no statement that any system meets a regulation or standard.";

struct ExportOptions {
  std::string generated_at;  // RFC 3339; "" = now
  TrustedKeys trusted;       // for the exporter's verification and evidence class
  // Inclusion proofs: against a kept checkpoint (its signed note), or a fresh one signed
  // with the key at checkpoint_key (with checkpoint_origin). Neither: no proofs.
  std::string checkpoint_note, checkpoint_key, checkpoint_origin;
  std::string counterfactual_bundle;  // .rego file or bundle directory; "" = none
};

// The export (canonical JSON text plus "\n") of the run whose trace id is `run_id`.
// NotFound for an unknown run.
Result<std::string> ExportRun(Store& store, const std::string& run_id, const ExportOptions& options);
// The export of one decision, its replay's evidence and its run's chain.
Result<std::string> ExportDecision(Store& store, const std::string& decision_id, const ExportOptions& options);

// Export files larger than this are refused before reading (an export is read whole).
inline constexpr uint64_t kMaxExportFileBytes = uint64_t{512} << 20;

// Reads an export file: a regular file of at most kMaxExportFileBytes.
Result<std::string> ReadExportFile(const std::string& path);

// What `oep verify --export` found.
struct ExportCheck {
  bool ok = true;
  std::vector<std::string> lines;  // "ok   ..." / "FAIL ..."
  std::string evidence_class;      // recomputed with the verifier's trusted keys
  rapidjson::Document document;    // the parsed export (for rendering)
  std::string Render() const;
};

// Re-verifies an export without a store: canonical bytes, export_digest, every record's
// digest against its entry's content hash, the chain's sequence, links, entry hashes and
// seals, each context entry's hash, and every inclusion proof against `trusted`.
// InvalidArgument when `text` is not an export at all (naming `where`); a failed check is
// a FAIL line (ok = false), never an error.
Result<ExportCheck> VerifyExport(std::string_view text, const TrustedKeys& trusted, const std::string& where);

// What people read, made from a verified export (ExportCheck::document) and nothing
// else; markdown and PDF lay out the same report.
struct ReportPayload {
  std::string label;   // "events/evt_..."
  std::string digest;  // of the whole body
  std::string text;    // canonical JSON, cut at kReportPayloadBytes
  size_t size = 0;     // bytes of the whole body
  bool truncated = false;
};
inline constexpr size_t kReportPayloadBytes = 700;

struct ReportSection {
  std::string heading;
  std::vector<std::pair<std::string, std::string>> fields;  // label, value
  std::vector<std::string> header;                           // table columns (empty: no table)
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> paragraphs;
  std::vector<ReportPayload> payloads;
};

struct ExportReport {
  std::string title;
  std::string notice;  // kExportNotice, on every page of a PDF
  std::vector<ReportSection> sections;
};

ExportReport BuildExportReport(const rapidjson::Value& export_doc);
std::string RenderExportMarkdown(const ExportReport& report);

// "YYYY-MM-DDTHH:MM:SS.sssZ" of an RFC 3339 timestamp; "" when `ts` is not one.
std::string ExportTimestamp(std::string_view ts);

}  // namespace oep
