// `oep verify --export`: re-verifying an export offline (see export.h).
#include <filesystem>
#include <map>

#include "checkpoint/checkpoint.h"
#include "crypto/sha256.h"
#include "export/export.h"
#include "export/export_json.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "util/files.h"
#include "verify/chain_verify.h"

namespace oep {

using rapidjson::Value;

std::string ExportCheck::Render() const {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  out += std::string("summary: export ") + (ok ? "verifies" : "FAILS verification") +
         (evidence_class.empty() ? "" : "; evidence class " + evidence_class) + "\n";
  return out;
}

namespace {

class ExportVerifier {
 public:
  ExportVerifier(const TrustedKeys& trusted, std::string where, ExportCheck* out)
      : trusted_(trusted), where_(std::move(where)), out_(*out) {}

  void Ok(const std::string& line) { out_.lines.push_back("ok   " + line); }
  void Fail(const std::string& line) {
    out_.ok = false;
    out_.lines.push_back("FAIL " + line);
  }
  void Note(const std::string& line) { out_.lines.push_back("note " + line); }

  Status Bytes(std::string_view text) {
    if (text.empty() || text.back() != '\n') {
      Fail("file: the export must end with one newline after its canonical JSON");
    } else {
      text.remove_suffix(1);
    }
    auto doc = json::Parse(text);
    if (!doc.ok()) {
      Fail("file: not JSON: " + doc.status().message());
      return Status::Ok();
    }
    out_.document = std::move(*doc);
    const Value& d = out_.document;
    if (!d.IsObject() || json::GetString(d, "schema_version") != kExportSchemaVersion) {
      return Status::InvalidArgument(where_ + ": /schema_version: expected \"" + std::string(kExportSchemaVersion) +
                                     "\" (not an oep compliance export)");
    }
    std::string canonical = json::CanonicalText(d);
    if (canonical != text) Fail("canonical form: the bytes are not the RFC 8785 form of their JSON (edited)");
    else Ok("canonical form: RFC 8785");
    std::string claimed = json::GetString(d, "export_digest");
    Value copy(d, out_.document.GetAllocator());
    copy.RemoveMember("export_digest");
    std::string actual = crypto::Sha256Digest(json::CanonicalText(copy));
    if (claimed != actual) Fail("export_digest: " + claimed + " recorded, the content hashes to " + actual);
    else Ok("export_digest: " + actual);
    return Status::Ok();
  }

  Status Chain() {
    const Value& d = out_.document;
    const Value* chain = json::GetMember(d, "chain");
    const Value* subject = json::GetMember(d, "subject");
    if (!chain || !chain->IsArray()) return Status::InvalidArgument(where_ + ": /chain: expected an array of entries");
    if (!subject || !subject->IsObject()) return Status::InvalidArgument(where_ + ": /subject: expected an object");
    std::string chain_id = json::GetString(*subject, "chain_id");
    std::vector<LedgerEntry> entries(chain->Size());
    for (rapidjson::SizeType i = 0; i < chain->Size(); ++i) {
      OEP_RETURN_IF_ERROR(EntryFromJson((*chain)[i], where_ + ": /chain/" + std::to_string(i), &entries[i]));
      by_id_[entries[i].entry_id] = entries[i];
    }
    ChainReport r = VerifyChainEntries(chain_id, entries, trusted_);
    if (!r.ok) {
      Fail("chain " + chain_id + ": entry " + std::to_string(r.failed_seq) + ": " + r.failure);
      return Status::Ok();
    }
    out_.evidence_class = EvidenceClassName(r.evidence_class);
    std::string seal = !r.sealed ? "unsealed" : r.authority.empty() ? "sealed by untrusted key " + r.seal_key_id
                                                                    : "sealed by trusted " + r.authority + " key " + r.seal_key_id;
    Ok("chain " + chain_id + ": " + std::to_string(r.entries) + " entries link and hash; " + seal + "; " +
       out_.evidence_class + (trusted_.empty() ? " (no trusted keys given)" : ""));
    const Value* v = json::GetMember(d, "verification");
    if (v && v->IsObject()) {
      Note("the exporter recorded: " + json::GetString(*v, "evidence_class") +
           (json::GetString(*v, "failure").empty() ? "" : ", " + json::GetString(*v, "failure")));
    }
    return Status::Ok();
  }

  // A record's body hashes to its digest, and the entry covering it commits to that digest.
  void Record(const Value& rec, const LedgerEntry* entry, const std::string& pointer) {
    std::string ref = json::GetString(rec, "table") + "/" + json::GetString(rec, "id");
    const Value* body = json::GetMember(rec, "body");
    std::string digest = json::GetString(rec, "digest");
    if (body == nullptr || crypto::Sha256Digest(json::CanonicalText(*body)) != digest) {
      return Fail(pointer + " " + ref + ": body does not hash to its digest (edited)");
    }
    if (entry == nullptr) return Note(pointer + " " + ref + ": not covered by an exported ledger entry");
    if (entry->kind != "artifact" || entry->artifact_table != json::GetString(rec, "table") ||
        entry->artifact_id != json::GetString(rec, "id")) {
      return Fail(pointer + " " + ref + ": entry " + std::to_string(entry->entry_id) + " covers another row");
    }
    if (entry->content_hash != ContentHashOfDigest(digest)) {
      return Fail(pointer + " " + ref + ": digest differs from the ledger's content hash");
    }
    ++records_ok_;
  }

  Status Records() {
    const Value& d = out_.document;
    const Value* records = json::GetMember(d, "records");
    const Value* context = json::GetMember(d, "context");
    if (!records || !records->IsArray()) return Status::InvalidArgument(where_ + ": /records: expected an array");
    if (!context || !context->IsArray()) return Status::InvalidArgument(where_ + ": /context: expected an array");
    size_t failed_before = out_.lines.size();
    for (rapidjson::SizeType i = 0; i < records->Size(); ++i) {
      const Value& rec = (*records)[i];
      if (!rec.IsObject()) return Status::InvalidArgument(where_ + ": /records/" + std::to_string(i) + ": expected an object");
      const Value* id = json::GetMember(rec, "entry_id");
      auto it = id && id->IsInt64() ? by_id_.find(id->GetInt64()) : by_id_.end();
      Record(rec, it == by_id_.end() ? nullptr : &it->second, "/records/" + std::to_string(i));
    }
    for (rapidjson::SizeType i = 0; i < context->Size(); ++i) {
      const Value& c = (*context)[i];
      std::string pointer = "/context/" + std::to_string(i);
      const Value* rec = c.IsObject() ? json::GetMember(c, "record") : nullptr;
      const Value* entry_json = c.IsObject() ? json::GetMember(c, "entry") : nullptr;
      if (!rec || !rec->IsObject() || !entry_json) return Status::InvalidArgument(where_ + ": " + pointer + ": expected {record, entry}");
      if (entry_json->IsNull()) {
        Record(*rec, nullptr, pointer);
        continue;
      }
      LedgerEntry e;
      OEP_RETURN_IF_ERROR(EntryFromJson(*entry_json, where_ + ": " + pointer + "/entry", &e));
      if (ComputeEntryHash(e) != e.entry_hash) {
        Fail(pointer + " entry " + std::to_string(e.entry_id) + ": entry hash does not match its contents (edited)");
        continue;
      }
      by_id_[e.entry_id] = e;
      Record(*rec, &e, pointer);
    }
    if (out_.lines.size() == failed_before || out_.ok) {
      Ok("records: " + std::to_string(records_ok_) + " bodies hash to the content hashes their ledger entries commit to");
    }
    return Tombstoned();
  }

  // Rows deleted by retention: each names the chain entry that covered it and holds its hash.
  Status Tombstoned() {
    const Value* list = json::GetMember(out_.document, "tombstoned");
    if (list == nullptr) return Status::Ok();
    if (!list->IsArray()) return Status::InvalidArgument(where_ + ": /tombstoned: expected an array");
    int64_t ok = 0;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const Value& t = (*list)[i];
      std::string pointer = "/tombstoned/" + std::to_string(i);
      if (!t.IsObject()) return Status::InvalidArgument(where_ + ": " + pointer + ": expected an object");
      std::string ref = json::GetString(t, "table") + "/" + json::GetString(t, "id");
      const Value* id = json::GetMember(t, "entry_id");
      auto it = id && id->IsInt64() ? by_id_.find(id->GetInt64()) : by_id_.end();
      if (it == by_id_.end()) {
        Fail(pointer + " " + ref + ": not covered by an exported ledger entry");
      } else if (it->second.artifact_table != json::GetString(t, "table") || it->second.artifact_id != json::GetString(t, "id")) {
        Fail(pointer + " " + ref + ": entry " + std::to_string(it->second.entry_id) + " covers another row");
      } else if (it->second.content_hash != json::GetString(t, "content_hash")) {
        Fail(pointer + " " + ref + ": tombstone's content hash differs from the ledger's");
      } else {
        ++ok;
      }
    }
    if (ok == static_cast<int64_t>(list->Size())) {
      Ok("tombstoned: " + std::to_string(ok) + " rows deleted by retention, each hash matching its ledger entry");
    }
    return Status::Ok();
  }

  Status Inclusion() {
    const Value* inc = json::GetMember(out_.document, "inclusion");
    if (inc == nullptr || inc->IsNull()) return Note("inclusion: no checkpoint in this export (no inclusion proofs)"), Status::Ok();
    const Value* proofs = inc->IsObject() ? json::GetMember(*inc, "proofs") : nullptr;
    if (!proofs || !proofs->IsArray()) return Status::InvalidArgument(where_ + ": /inclusion/proofs: expected an array");
    if (trusted_.empty()) {
      Note("inclusion: " + std::to_string(proofs->Size()) + " proofs not checked: no trusted keys given for the checkpoint");
      return Status::Ok();
    }
    int64_t proven = 0;
    for (rapidjson::SizeType i = 0; i < proofs->Size(); ++i) {
      const Value& p = (*proofs)[i];
      std::string pointer = "/inclusion/proofs/" + std::to_string(i);
      const Value* id = p.IsObject() ? json::GetMember(p, "entry_id") : nullptr;
      auto it = id && id->IsInt64() ? by_id_.find(id->GetInt64()) : by_id_.end();
      if (it == by_id_.end()) {
        Fail(pointer + ": proves an entry the export does not hold");
        continue;
      }
      if (json::GetString(p, "canonical_entry") != CanonicalEntry(it->second)) {
        Fail(pointer + ": proves other content than exported entry " + std::to_string(it->first));
        continue;
      }
      auto r = VerifyInclusionProof(json::CanonicalText(p), trusted_, pointer);
      if (!r.ok()) {
        Fail(r.status().message());
        continue;
      }
      ++proven;
    }
    if (proven == static_cast<int64_t>(proofs->Size())) {
      Ok("inclusion: " + std::to_string(proven) + " entries proven in the signed checkpoint");
    }
    return Status::Ok();
  }

 private:
  const TrustedKeys& trusted_;
  std::string where_;
  ExportCheck& out_;
  std::map<int64_t, LedgerEntry> by_id_;
  int64_t records_ok_ = 0;
};

}  // namespace

Result<std::string> ReadExportFile(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxExportFileBytes) {
    return Status::InvalidArgument(path + ": " + std::to_string(size) + " bytes; expected an export of at most " +
                                   std::to_string(kMaxExportFileBytes) + " bytes");
  }
  return ReadFile(path);
}

Result<ExportCheck> VerifyExport(std::string_view text, const TrustedKeys& trusted, const std::string& where) {
  ExportCheck check;
  ExportVerifier v(trusted, where, &check);
  OEP_RETURN_IF_ERROR(v.Bytes(text));
  if (!check.document.IsObject()) return check;
  OEP_RETURN_IF_ERROR(v.Chain());
  OEP_RETURN_IF_ERROR(v.Records());
  OEP_RETURN_IF_ERROR(v.Inclusion());
  return check;
}

}  // namespace oep
