#include "ingest/ingest.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <optional>

#include "crypto/sha256.h"
#include "json/json.h"
#include "redaction/redaction.h"
#include "util/files.h"

namespace oep {
namespace fs = std::filesystem;

namespace {

std::string KnownSchemaVersions() {
  std::string out;
  for (const auto& spec : AllKinds()) out += (out.empty() ? "" : ", ") + std::string(spec.schema_version);
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string RecordLocation::Source() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (!pointer_prefix.empty()) out += "#" + pointer_prefix;
  return out;
}

std::string RecordLocation::Where() const {
  return line > 0 ? file + ": line " + std::to_string(line) : file;
}

std::string IngestReport::Summary() const {
  std::string out = std::to_string(records) + " records from " + std::to_string(files) + " files: " +
                    std::to_string(inserted) + " new, " + std::to_string(unchanged) + " already stored";
  std::string kinds;
  for (const auto& spec : AllKinds()) {
    int64_t n = inserted_by_kind[static_cast<size_t>(spec.kind)];
    if (n > 0) kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(spec.table);
  }
  if (!kinds.empty()) out += " (" + kinds + ")";
  return out;
}

Result<ArtifactRecord> BuildRecord(const rapidjson::Value& doc, std::string source,
                                   const std::string& pointer_prefix, Validator& validator) {
  auto fail = [&](const std::string& msg) { return Status::InvalidArgument(pointer_prefix + msg); };
  if (!doc.IsObject()) return fail("/: expected an artifact object with a \"schema_version\" member");
  const rapidjson::Value* version = json::GetMember(doc, "schema_version");
  if (version == nullptr) return fail("/schema_version: missing; expected one of " + KnownSchemaVersions());
  const KindSpec* spec =
      version->IsString() ? SpecForSchemaVersion(std::string_view(version->GetString(), version->GetStringLength()))
                          : nullptr;
  if (spec == nullptr) {
    return fail("/schema_version: expected one of " + KnownSchemaVersions() + ", found " +
                json::CanonicalText(*version));
  }
  Status valid = validator.Validate(spec->kind, doc);
  if (!valid.ok()) return fail(valid.message());

  ArtifactRecord r;
  r.spec = spec;
  r.source = std::move(source);
  Status canon = json::Canonicalize(doc, &r.body);
  if (!canon.ok()) return fail(canon.message());
  const rapidjson::Value* id = json::FindDotted(doc, spec->id_path);
  if (id == nullptr || !id->IsString() || id->GetStringLength() == 0) {
    return fail("/" + std::string(spec->id_path) + ": expected a non-empty string id");
  }
  r.id.assign(id->GetString(), id->GetStringLength());
  r.columns.reserve(spec->columns.size());
  for (const auto& col : spec->columns) {
    const rapidjson::Value* v = json::FindDotted(doc, col.json_path);
    if (v == nullptr || v->IsNull()) r.columns.emplace_back();
    else if (v->IsString()) r.columns.emplace_back(std::string(v->GetString(), v->GetStringLength()));
    else if (v->IsBool()) r.columns.emplace_back(v->GetBool() ? "1" : "0");
    else r.columns.emplace_back(json::CanonicalText(*v));
  }
  r.digest = crypto::Sha256Digest(r.body);
  return r;
}

Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  auto is_artifact_file = [](std::string_view name) {
    return !EndsWith(name, ".schema.json") && (EndsWith(name, ".json") || EndsWith(name, ".jsonl"));
  };
  for (const auto& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);  // a path given by the caller may be a link
    if (st.type() == fs::file_type::not_found) return Status::InvalidArgument(p + ": no such file or directory");
    if (ec) return Status::IOError(p + ": cannot stat: " + ec.message());
    if (fs::is_directory(st)) {
      auto found = ListTreeFiles(p, is_artifact_file);
      if (!found.ok()) return found.status();
      for (auto& f : *found) files.push_back(std::move(f.path));
    } else {
      files.push_back(p);  // ReadFile refuses what is not a regular file
    }
  }
  return files;
}

Result<std::unique_ptr<Ingester>> Ingester::Begin(Store& store) {
  std::unique_ptr<Ingester> ingester(new Ingester(store));
  ingester->redaction_ = &DefaultRedactionProfile();
  OEP_RETURN_IF_ERROR(store.BeginBatch());
  return ingester;
}

Ingester::~Ingester() {
  if (!committed_) store_.RollbackBatch();
}

namespace {

// Stage 1 of ingest, pure and thread-safe given its own Validator: one parsed artifact
// to its stored form, or an error located at `loc`.
// With a redaction profile the record is redacted in a copy first: validation, the
// canonical body and its hash see only the redacted form.
Result<ArtifactRecord> PrepareRecord(const rapidjson::Value& doc, const RecordLocation& loc, Validator& validator,
                                     const RedactionProfile* redaction) {
  std::optional<rapidjson::Document> redacted;  // a Document allocates: only when redacting
  if (redaction != nullptr) {
    redacted.emplace();
    redacted->CopyFrom(doc, redacted->GetAllocator());
    ApplyRedaction(*redacted, *redaction, redacted->GetAllocator());
  }
  auto record = BuildRecord(redacted ? *redacted : doc, loc.Source(), loc.pointer_prefix, validator);
  if (!record.ok()) return record.status().WithContext(loc.Where());
  if (record->body.size() > kMaxRecordBytes) {
    return Status::InvalidArgument(loc.Where() + ": " + loc.pointer_prefix + ": record is " +
                                   std::to_string(record->body.size()) + " bytes; expected at most 8 MiB per record");
  }
  return record;
}

Status CheckRecordSize(size_t size, const RecordLocation& loc) {
  if (size <= kMaxRecordBytes) return Status::Ok();
  return Status::InvalidArgument(loc.Where() + ": record is " + std::to_string(size) +
                                 " bytes; expected at most 8 MiB (8388608 bytes) per record");
}

// A parse error located at the record (JSONL: the file's line is in Where(); the parser
// counts lines within the record).
Status LocatedParseError(const Status& parse_error, const RecordLocation& loc) {
  std::string msg = parse_error.message();
  if (loc.line > 0 && msg.rfind("line 1, ", 0) == 0) msg = msg.substr(8);
  return Status::InvalidArgument(loc.Where() + ": " + msg);
}

Result<rapidjson::Document> ParseRecordText(std::string_view text, const RecordLocation& loc) {
  OEP_RETURN_IF_ERROR(CheckRecordSize(text.size(), loc));
  auto doc = json::Parse(text);
  if (!doc.ok()) return LocatedParseError(doc.status(), loc);
  return doc;
}

Result<ArtifactRecord> PrepareLine(const Ingester::Line& l, const RecordLocation& loc, Validator& validator,
                                   json::ReusableParser& parser, const RedactionProfile* redaction) {
  OEP_RETURN_IF_ERROR(CheckRecordSize(l.size, loc));
  auto doc = parser.ParseInPlace(l.text, l.size);
  if (!doc.ok()) return LocatedParseError(doc.status(), loc);
  return PrepareRecord(**doc, loc, validator, redaction);
}

constexpr size_t kPipelineChunk = 2048;

}  // namespace

Status Ingester::AddFile(const std::string& path, const std::string& name) {
  const std::string& source = name.empty() ? path : name;
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  ++report_.files;
  if (!EndsWith(path, ".jsonl")) return AddRecordText(*text, source);
  // Each record ends in a NUL (written over its line break) and is parsed in place.
  std::string& buffer = *text;
  std::vector<Line> lines;
  int line = 0;
  for (size_t start = 0; start < buffer.size();) {
    ++line;
    size_t end = buffer.find('\n', start);
    if (end == std::string::npos) end = buffer.size();
    size_t next = end + 1;
    if (end > start && buffer[end - 1] == '\r') --end;
    buffer[end] = '\0';  // buffer[size()] is already NUL
    std::string_view record(buffer.data() + start, end - start);
    if (record.find_first_not_of(" \t") != std::string_view::npos) lines.push_back({buffer.data() + start, end - start, line});
    start = next;
  }
  return AddLines(source, lines);
}

Status Ingester::AddLines(const std::string& source, std::span<const Line> lines) {
  // Pipeline: while this thread stores chunk i (SQLite is single-writer), two workers
  // prepare the halves of chunk i+1. Records are stored in input order, so the first
  // error reported is the first bad record, as in a serial run.
  using Prepared = std::vector<Result<ArtifactRecord>>;
  auto prepare = [&](size_t begin, size_t end, int worker) {
    Prepared out;
    out.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      out.push_back(PrepareLine(lines[i], {source, lines[i].line, ""}, worker_validators_[worker], worker_parsers_[worker],
                                redaction_));
    }
    return out;
  };
  auto launch = [&](size_t begin) {
    size_t end = std::min(lines.size(), begin + kPipelineChunk), mid = begin + (end - begin) / 2;
    return std::make_pair(std::async(std::launch::async, prepare, begin, mid, 0),
                          std::async(std::launch::async, prepare, mid, end, 1));
  };
  if (lines.empty()) return Status::Ok();
  auto next = launch(0);
  for (size_t begin = 0; begin < lines.size(); begin += kPipelineChunk) {
    Prepared halves[2] = {next.first.get(), next.second.get()};
    if (begin + kPipelineChunk < lines.size()) next = launch(begin + kPipelineChunk);
    size_t i = begin;
    for (auto& half : halves) {
      for (auto& record : half) {
        ++report_.records;
        if (!record.ok()) return record.status();
        OEP_RETURN_IF_ERROR(StoreRecord(*record, {source, lines[i++].line, ""}));
      }
    }
  }
  return Status::Ok();
}

Status Ingester::AddRecordText(std::string_view text, const std::string& source) {
  RecordLocation loc{source, 0, ""};
  auto doc = ParseRecordText(text, loc);
  if (!doc.ok()) {
    // A .json file may hold an array of records; only each record is size-limited.
    if (text.size() <= kMaxRecordBytes) return doc.status();
    auto whole = json::Parse(text);
    if (!whole.ok() || !whole->IsArray()) return doc.status();
    doc = std::move(whole);
  }
  if (doc->IsArray()) {
    for (rapidjson::SizeType i = 0; i < doc->Size(); ++i) {
      OEP_RETURN_IF_ERROR(AddRecord((*doc)[i], {source, 0, "/" + std::to_string(i)}));
    }
    return Status::Ok();
  }
  return AddRecord(*doc, loc);
}

Status Ingester::AddRecord(const rapidjson::Value& doc, const RecordLocation& loc) {
  ++report_.records;
  auto record = PrepareRecord(doc, loc, validator_, redaction_);
  if (!record.ok()) return record.status();
  return StoreRecord(*record, loc);
}

Status Ingester::AddBuiltRecord(const ArtifactRecord& record, const RecordLocation& loc) {
  ++report_.records;
  return StoreRecord(record, loc);
}

Status Ingester::StoreRecord(const ArtifactRecord& record, const RecordLocation& loc) {
  OEP_RETURN_IF_ERROR(CheckManifestRef(record, loc));
  auto entry_id = ledger_.NextEntryId();
  if (!entry_id.ok()) return entry_id.status();
  auto outcome = store_.Put(record, *entry_id);
  if (!outcome.ok()) return outcome.status().WithContext(loc.Where());
  if (*outcome == PutOutcome::kInserted) {
    ++report_.inserted;
    ++report_.inserted_by_kind[static_cast<size_t>(record.spec->kind)];
    std::optional<std::string> trace_id;
    for (size_t i = 0; i < record.spec->columns.size(); ++i) {
      if (record.spec->columns[i].name == "trace_id") trace_id = record.columns[i];
    }
    Status appended = ledger_.AppendArtifact(ChainForTrace(trace_id), record.spec->table, record.id,
                                             ContentHashOfDigest(record.digest), record.source);
    if (!appended.ok()) return appended.WithContext(loc.Where());
    if (keep_inserted_) inserted_.push_back(record);
  } else {
    ++report_.unchanged;
  }
  if (record.spec->kind == ArtifactKind::kReleaseManifest) {
    known_manifests_.insert(record.id);
    pending_manifest_refs_.erase(record.id);
  }
  return Status::Ok();
}

Status Ingester::CheckManifestRef(const ArtifactRecord& record, const RecordLocation& loc) {
  const KindSpec& spec = *record.spec;
  if (spec.manifest_ref_column.empty()) return Status::Ok();
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    if (spec.columns[i].name != spec.manifest_ref_column || !record.columns[i]) continue;
    const std::string& id = *record.columns[i];
    if (known_manifests_.count(id) || pending_manifest_refs_.count(id)) return Status::Ok();
    auto exists = store_.Exists(ArtifactKind::kReleaseManifest, id);
    if (!exists.ok()) return exists.status();
    if (*exists) {
      known_manifests_.insert(id);
    } else {
      std::string pointer = std::string(spec.columns[i].json_path);
      std::replace(pointer.begin(), pointer.end(), '.', '/');
      pending_manifest_refs_.emplace(id, loc.Where() + ": " + loc.pointer_prefix + "/" + pointer);
    }
  }
  return Status::Ok();
}

Status Ingester::AddDecisionInput(const std::string& decision_id, const rapidjson::Value& input,
                                  const std::string& source) {
  StoredArtifact a;
  a.id = decision_id;
  a.source = source;
  OEP_RETURN_IF_ERROR(json::Canonicalize(input, &a.body).WithContext(source));
  a.digest = crypto::Sha256Digest(a.body);
  auto entry_id = ledger_.NextEntryId();
  if (!entry_id.ok()) return entry_id.status();
  auto outcome = store_.PutDecisionInput(decision_id, a, *entry_id);
  if (!outcome.ok()) return outcome.status().WithContext(source);
  if (*outcome == PutOutcome::kUnchanged) {
    ++report_.unchanged;
    return Status::Ok();
  }
  ++report_.inserted;
  return ledger_.AppendArtifact(std::string(kStoreChain), "decision_inputs", decision_id,
                                ContentHashOfDigest(a.digest), source);
}

Status Ingester::AddDocument(const std::string& path, std::string_view bytes) {
  auto entry_id = ledger_.NextEntryId();
  if (!entry_id.ok()) return entry_id.status();
  auto outcome = store_.PutDocument(path, bytes, *entry_id);
  if (!outcome.ok()) return outcome.status();
  if (*outcome == PutOutcome::kUnchanged) {
    ++report_.unchanged;
    return Status::Ok();
  }
  ++report_.inserted;
  return ledger_.AppendArtifact(std::string(kStoreChain), "documents", path, crypto::Sha256Hex(bytes), "");
}

Status Ingester::AddChainEvent(const std::string& chain_id, std::string_view kind, std::string payload) {
  return ledger_.AppendEvent(chain_id, kind, std::move(payload));
}

Status Ingester::Commit() {
  if (!pending_manifest_refs_.empty()) {
    const auto& [id, where] = *pending_manifest_refs_.begin();
    return Status::InvalidArgument(where + ": unknown release manifest \"" + id +
                                   "\"; expected the id of a manifest in the store or in this batch");
  }
  OEP_RETURN_IF_ERROR(store_.CommitBatch());
  committed_ = true;
  return Status::Ok();
}

Result<IngestReport> IngestPaths(Store& store, const std::vector<std::string>& paths, const RedactionProfile* redaction) {
  auto files = ExpandPaths(paths);
  if (!files.ok()) return files.status();
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  if (redaction) (*ingester)->SetRedaction(redaction);
  for (const auto& f : *files) OEP_RETURN_IF_ERROR((*ingester)->AddFile(f));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return (*ingester)->report();
}

}  // namespace oep
