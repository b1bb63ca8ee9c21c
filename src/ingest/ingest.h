// Ingest: files of JSON / JSONL artifacts -> parse -> validate against the kind's schema
// -> canonicalize (RFC 8785) -> store, all in ONE transaction per Ingester (all or nothing).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "ledger/ledger.h"
#include "json/json.h"
#include "schema/validator.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

struct RedactionProfile;

inline constexpr size_t kMaxRecordBytes = 8u << 20;  // 8 MiB per record

struct IngestReport {
  int64_t files = 0;
  int64_t records = 0;
  int64_t inserted = 0;
  int64_t unchanged = 0;
  int64_t inserted_by_kind[kArtifactKindCount] = {};  // indexed by ArtifactKind
  std::string Summary() const;
};

// Where a record came from: file, 1-based line for JSONL (0 otherwise), and the pointer
// of the record inside a JSON array file ("" for a whole-file record).
struct RecordLocation {
  std::string file;
  int line = 0;
  std::string pointer_prefix;
  std::string Source() const;  // stored provenance: "file:line" / "file#/3"
  std::string Where() const;   // error prefix: "file: line 7" / "file"
};

// Builds the stored form of one artifact: kind from "schema_version", schema validation,
// canonical body, digest, id and join-key columns. Errors name `pointer_prefix` + the
// JSON pointer inside the artifact and what was expected.
Result<ArtifactRecord> BuildRecord(const rapidjson::Value& doc, std::string source,
                                   const std::string& pointer_prefix, Validator& validator);

// Collects the .json / .jsonl files under `paths` (directories recursively, sorted;
// *.schema.json skipped; see ListTreeFiles for the links and special files refused).
// A path that does not exist is an error.
Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths);

class Ingester {
 public:
  // Starts the batch's transaction on `store`; nothing is visible until Commit().
  static Result<std::unique_ptr<Ingester>> Begin(Store& store);
  ~Ingester();  // rolls back unless committed

  // A .jsonl file holds one artifact per line; a .json file one artifact or an array of them.
  // `name` is the file's name in errors and stored provenance (default: `path`).
  Status AddFile(const std::string& path, const std::string& name = "");
  // One .json file's text: an artifact object or an array of them.
  Status AddRecordText(std::string_view text, const std::string& source);
  // JSONL records (one artifact each) from `source`, prepared on worker threads. A
  // record's bytes are parsed in place: writable, and followed by a NUL byte.
  struct Line {
    char* text;
    size_t size;
    int line;  // 1-based line in `source`
  };
  Status AddLines(const std::string& source, std::span<const Line> lines);
  Status AddRecord(const rapidjson::Value& doc, const RecordLocation& location);
  // A record the caller built with BuildRecord (e.g. to compare its digest first).
  Status AddBuiltRecord(const ArtifactRecord& record, const RecordLocation& location);
  Status AddDecisionInput(const std::string& decision_id, const rapidjson::Value& input, const std::string& source);
  Status AddDocument(const std::string& path, std::string_view bytes);
  // A ledger event (a drop, a break) appended to `chain_id` in this batch: it commits or
  // rolls back with the records (see ledger.h for the kinds).
  Status AddChainEvent(const std::string& chain_id, std::string_view kind, std::string payload);

  // Artifacts added after this are redacted with `profile` (nullptr: none, for records oep
  // builds itself; it must outlive the Ingester) before validation and hashing. Until it is
  // called, DefaultRedactionProfile() applies. Documents and decision inputs are not redacted.
  void SetRedaction(const RedactionProfile* profile) { redaction_ = profile; }

  // Checks joins that may be satisfied later in the batch, then commits.
  Status Commit();
  const IngestReport& report() const { return report_; }
  // After KeepInserted, inserted() holds the records this batch inserted (as stored:
  // redacted, canonical), for what evaluates a batch before it commits (the monitors).
  void KeepInserted() { keep_inserted_ = true; }
  const std::vector<ArtifactRecord>& inserted() const { return inserted_; }

 private:
  explicit Ingester(Store& store) : store_(store), ledger_(store) {}
  Status StoreRecord(const ArtifactRecord& record, const RecordLocation& location);
  Status CheckManifestRef(const ArtifactRecord& record, const RecordLocation& location);

  Store& store_;
  LedgerAppender ledger_;  // every inserted row is appended to its chain in the same batch
  Validator validator_;
  Validator worker_validators_[2];
  json::ReusableParser worker_parsers_[2];
  IngestReport report_;
  bool committed_ = false;
  bool keep_inserted_ = false;
  std::vector<ArtifactRecord> inserted_;
  const RedactionProfile* redaction_ = nullptr;
  std::set<std::string, std::less<>> known_manifests_;
  std::map<std::string, std::string, std::less<>> pending_manifest_refs_;  // id -> first source
};

// Ingests `paths` into `store` as one batch, redacted with `redaction` (nullptr: the default
// profile).
Result<IngestReport> IngestPaths(Store& store, const std::vector<std::string>& paths,
                                 const RedactionProfile* redaction = nullptr);

}  // namespace oep
