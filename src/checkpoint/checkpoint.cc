#include "checkpoint/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "crypto/sha256.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "util/files.h"

namespace oep {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // U+2014, then a space
constexpr size_t kMaxNoteBytes = 1 << 20;
constexpr size_t kMaxSignatures = 64;
constexpr std::string_view kProofFormat = "oep-inclusion-proof-v1";

std::string HashText(const merkle::Hash& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }
std::string HashHex(const merkle::Hash& h) { return crypto::HexEncode(HashText(h)); }

// The 4-byte key ID of C2SP signed-note for an Ed25519 key.
std::string NoteKeyId(std::string_view name, std::string_view public_key_raw) {
  std::string data(name);
  data += '\n';
  data += '\x01';
  data += public_key_raw;
  return crypto::Sha256Raw(data).substr(0, 4);
}

Status CheckKeyName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("the checkpoint origin must not be empty");
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7F || c == '+') {
      return Status::InvalidArgument("checkpoint origin \"" + name + "\": printable ASCII without spaces or '+' only");
    }
  }
  return Status::Ok();
}

// Streams the ledger's first `limit` leaves (all when negative) into `builder`; calls
// `on_entry(index, entry)` for each.
template <typename Fn>
Status StreamLeaves(Store& store, int64_t limit, merkle::TreeBuilder* builder, Fn on_entry) {
  int64_t index = 0;
  return store.ForEachLedgerEntry("", [&](LedgerEntry& e) {
    if (limit >= 0 && index >= limit) return Status::Ok();
    builder->Add(LedgerLeafHash(e));
    on_entry(index, e);
    ++index;
    return Status::Ok();
  });
}

std::string CheckpointText(const std::string& origin, uint64_t size, const merkle::Hash& root) {
  return origin + "\n" + std::to_string(size) + "\n" + crypto::Base64Encode(HashText(root)) + "\n";
}

struct SignatureLine {
  std::string name;
  std::string key_id;     // 4 bytes
  std::string signature;  // the rest
};

// Splits a signed note into its text and signature lines; parses the checkpoint text.
Status ParseNote(std::string_view note, const std::string& where, Checkpoint* cp, std::string* text,
                 std::vector<SignatureLine>* sigs) {
  auto bad = [&](const std::string& why) { return Status::InvalidArgument(where + ": " + why); };
  if (note.size() > kMaxNoteBytes) return bad("larger than 1 MiB; not a checkpoint");
  for (unsigned char c : note) {
    if (c < 0x20 && c != '\n') return bad("control character in the note");
  }
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return bad("no blank line before the signature lines (not a signed note)");
  *text = std::string(note.substr(0, split + 1));
  std::string_view rest = note.substr(split + 2);
  if (rest.empty()) return bad("no signature lines after the blank line");
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return bad("the last signature line does not end with a newline");
    std::string_view line = rest.substr(0, nl);
    rest = rest.substr(nl + 1);
    if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace) return bad("signature line does not start with \"— \"");
    line.remove_prefix(kEmDashSpace.size());
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) return bad("signature line without a key name and signature");
    auto raw = crypto::Base64Decode(line.substr(sp + 1));
    if (!raw || raw->size() < 5) return bad("signature of key " + std::string(line.substr(0, sp)) + " is not base64 of a key ID and signature");
    if (sigs->size() == kMaxSignatures) return bad("more than 64 signatures");
    sigs->push_back({std::string(line.substr(0, sp)), raw->substr(0, 4), raw->substr(4)});
  }
  // The checkpoint text: origin, tree size, root hash, optional non-empty extension lines.
  std::vector<std::string> lines;
  for (size_t b = 0; b < text->size();) {
    size_t nl = text->find('\n', b);
    lines.push_back(text->substr(b, nl - b));
    b = nl + 1;
  }
  if (lines.size() < 3) return bad("a checkpoint has at least three lines (origin, tree size, root hash)");
  for (const auto& l : lines) {
    if (l.empty()) return bad("empty line in the checkpoint text");
  }
  cp->origin = lines[0];
  const std::string& size = lines[1];
  bool digits = size.size() <= 18 && size.find_first_not_of("0123456789") == std::string::npos && (size == "0" || size[0] != '0');
  if (!digits) return bad("line 2: tree size \"" + size + "\" is not a decimal number without leading zeros");
  cp->size = std::stoull(size);
  auto root = crypto::Base64Decode(lines[2]);
  if (!root || root->size() != 32) return bad("line 3: root hash is not base64 of 32 bytes");
  std::memcpy(cp->root.data(), root->data(), 32);
  cp->note = std::string(note);
  return Status::Ok();
}

}  // namespace

merkle::Hash LedgerLeafHash(const LedgerEntry& entry) { return merkle::LeafHash(CanonicalEntry(entry)); }

Result<std::string> ReadCheckpointFile(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return Status::InvalidArgument(path + ": no such file");
  if (!std::filesystem::is_regular_file(status)) return Status::InvalidArgument(path + ": not a regular file");
  if (std::filesystem::file_size(path, ec) > kMaxNoteBytes || ec) return Status::InvalidArgument(path + ": larger than 1 MiB");
  return ReadFile(path);
}

Result<Checkpoint> MakeCheckpoint(Store& store, const std::string& key_path, const std::string& origin) {
  OEP_RETURN_IF_ERROR(CheckKeyName(origin));
  auto count = store.LedgerEntryCount();
  if (!count.ok()) return count.status();
  merkle::TreeBuilder tree;
  OEP_RETURN_IF_ERROR(StreamLeaves(store, *count, &tree, [](int64_t, const LedgerEntry&) {}));
  Checkpoint cp;
  cp.origin = origin;
  cp.size = tree.size();
  cp.root = tree.Root();
  std::string text = CheckpointText(origin, cp.size, cp.root);
  auto sig = crypto::SignEd25519(key_path, text);
  if (!sig.ok()) return sig.status();
  std::string pub = *crypto::HexDecode(sig->public_key_hex), signature = *crypto::HexDecode(sig->signature_hex);
  cp.note = text + "\n" + std::string(kEmDashSpace) + origin + " " + crypto::Base64Encode(NoteKeyId(origin, pub) + signature) + "\n";
  return cp;
}

Result<Checkpoint> ParseCheckpoint(std::string_view note, const std::string& where) {
  Checkpoint cp;
  std::string text;
  std::vector<SignatureLine> sigs;
  OEP_RETURN_IF_ERROR(ParseNote(note, where, &cp, &text, &sigs));
  return cp;
}

Result<TrustedCheckpoint> OpenCheckpoint(std::string_view note, const TrustedKeys& trusted, const std::string& where) {
  Checkpoint cp;
  std::string text;
  std::vector<SignatureLine> sigs;
  OEP_RETURN_IF_ERROR(ParseNote(note, where, &cp, &text, &sigs));
  if (trusted.empty()) {
    return Status::Corruption(where + ": no trusted keys given (--trusted-key server=PUBLIC_KEY.pem or "
                              "$OEP_TRUSTED_KEYS): who signed the checkpoint cannot be checked");
  }
  const TrustedKey* server = nullptr;
  const TrustedKey* local = nullptr;
  for (const auto& sig : sigs) {
    for (const auto& key : trusted.keys()) {
      std::string pub = *crypto::HexDecode(key.public_key_hex);
      if (NoteKeyId(sig.name, pub) != sig.key_id) continue;  // another key: ignored, as signed-note says
      if (!crypto::VerifyEd25519(key.public_key_hex, text, crypto::HexEncode(sig.signature))) {
        return Status::Corruption(where + ": the signature of " + sig.name + " does not verify under trusted " +
                                  key.role + " key " + key.key_id + " (checkpoint edited or forged)");
      }
      (key.role == "server" ? server : local) = &key;
    }
  }
  if (server) return TrustedCheckpoint{std::move(cp), *server};
  if (local) {
    return Status::Corruption(where + ": signed only by trusted local key " + local->key_id +
                              "; a checkpoint counts when a trusted server key signed it");
  }
  std::string names;
  for (const auto& sig : sigs) names += (names.empty() ? "" : ", ") + sig.name;
  return Status::Corruption(where + ": not signed by any trusted key (signatures by: " + names + ")");
}

Result<std::string> VerifyStoreExtends(Store& store, const TrustedCheckpoint& trusted) {
  const Checkpoint& cp = trusted.checkpoint;
  auto count = store.LedgerEntryCount();
  if (!count.ok()) return count.status();
  auto n = static_cast<uint64_t>(*count);
  if (n < cp.size) {
    return Status::Corruption("the store holds " + std::to_string(n) + " ledger entries, fewer than the " +
                              std::to_string(cp.size) + " the checkpoint signed: at least " +
                              std::to_string(cp.size - n) + " entries were deleted");
  }
  merkle::TreeBuilder tree(merkle::ConsistencyProofRanges(cp.size, n));
  OEP_RETURN_IF_ERROR(StreamLeaves(store, *count, &tree, [](int64_t, const LedgerEntry&) {}));
  if (tree.size() != n) return Status::Corruption("the ledger changed while it was read; run the check again");
  std::vector<merkle::Hash> proof = tree.RangeHashes();
  merkle::Hash root = tree.Root();
  std::string signer = "origin " + cp.origin + ", signed by trusted server key " + trusted.signer.key_id;
  if (!merkle::VerifyConsistency(cp.size, n, proof, cp.root, root)) {
    return Status::Corruption("the store is not an append-only extension of the checkpoint (" + signer + "): the " +
                              "consistency proof from its " + std::to_string(cp.size) + " entries to the store's " +
                              std::to_string(n) + " does not verify — ledger entries it covers were deleted, "
                              "inserted, reordered or rewritten [OEP-V004 docs/playbooks/checkpoint-inconsistency.md]");
  }
  return "the store's " + std::to_string(n) + " ledger entries extend the checkpoint's " + std::to_string(cp.size) +
         " (" + signer + "): consistency proof of " + std::to_string(proof.size()) + " hashes verifies; root now " +
         crypto::Base64Encode(HashText(root));
}

Result<std::string> ProveEntry(Store& store, int64_t entry_id, const Checkpoint& cp) {
  auto entry = store.GetLedgerEntry(entry_id);
  if (!entry.ok()) return entry.status();
  if (!*entry) return Status::NotFound("no ledger entry " + std::to_string(entry_id) + " in " + store.path());
  auto index = store.LedgerEntryCount(entry_id);
  if (!index.ok()) return index.status();
  auto count = store.LedgerEntryCount();
  if (!count.ok()) return count.status();
  if (cp.size > static_cast<uint64_t>(*count)) {
    return Status::Corruption("the checkpoint covers " + std::to_string(cp.size) + " ledger entries, the store only " +
                              std::to_string(*count));
  }
  if (static_cast<uint64_t>(*index) >= cp.size) {
    return Status::InvalidArgument("ledger entry " + std::to_string(entry_id) + " is leaf " + std::to_string(*index) +
                                   ", after the checkpoint's " + std::to_string(cp.size) + " entries: take a newer checkpoint");
  }
  merkle::TreeBuilder tree(merkle::InclusionProofRanges(static_cast<uint64_t>(*index), cp.size));
  std::string canonical;
  OEP_RETURN_IF_ERROR(StreamLeaves(store, static_cast<int64_t>(cp.size), &tree, [&](int64_t i, const LedgerEntry& e) {
    if (i == *index) canonical = CanonicalEntry(e);
  }));
  rapidjson::Document proof(rapidjson::kObjectType);
  auto& a = proof.GetAllocator();
  rapidjson::Value path(rapidjson::kArrayType);
  for (const auto& h : tree.RangeHashes()) path.PushBack(rapidjson::Value(HashHex(h).c_str(), a), a);
  proof.AddMember("format", rapidjson::Value(kProofFormat.data(), static_cast<unsigned>(kProofFormat.size()), a), a);
  proof.AddMember("entry_id", entry_id, a);
  proof.AddMember("canonical_entry", rapidjson::Value(canonical.c_str(), static_cast<unsigned>(canonical.size()), a), a);
  proof.AddMember("leaf_index", *index, a);
  proof.AddMember("tree_size", static_cast<int64_t>(cp.size), a);
  proof.AddMember("leaf_hash", rapidjson::Value(HashHex(merkle::LeafHash(canonical)).c_str(), a), a);
  proof.AddMember("audit_path", path, a);
  proof.AddMember("checkpoint", rapidjson::Value(cp.note.c_str(), static_cast<unsigned>(cp.note.size()), a), a);
  std::string out;
  OEP_RETURN_IF_ERROR(json::Canonicalize(proof, &out, 2));
  return out;
}

Result<std::string> VerifyInclusionProof(std::string_view proof_json, const TrustedKeys& trusted, const std::string& where) {
  auto doc = json::Parse(proof_json);
  if (!doc.ok()) return doc.status().WithContext(where);
  auto bad = [&](const std::string& pointer, const std::string& why) {
    return Status::InvalidArgument(where + ": " + pointer + ": " + why);
  };
  if (!doc->IsObject()) return bad("/", "expected an inclusion proof object");
  if (json::GetString(*doc, "format") != kProofFormat) return bad("/format", "expected \"" + std::string(kProofFormat) + "\"");
  const auto* index = json::GetMember(*doc, "leaf_index");
  const auto* size = json::GetMember(*doc, "tree_size");
  const auto* entry = json::GetMember(*doc, "canonical_entry");
  const auto* leaf_hash = json::GetMember(*doc, "leaf_hash");
  const auto* path = json::GetMember(*doc, "audit_path");
  const auto* note = json::GetMember(*doc, "checkpoint");
  if (!index || !index->IsUint64()) return bad("/leaf_index", "expected a non-negative integer");
  if (!size || !size->IsUint64()) return bad("/tree_size", "expected a non-negative integer");
  if (!entry || !entry->IsString()) return bad("/canonical_entry", "expected a string");
  if (!leaf_hash || !leaf_hash->IsString()) return bad("/leaf_hash", "expected a hex string");
  if (!path || !path->IsArray() || path->Size() > 64) return bad("/audit_path", "expected an array of at most 64 hashes");
  if (!note || !note->IsString()) return bad("/checkpoint", "expected the signed checkpoint note");
  std::vector<merkle::Hash> hashes;
  for (rapidjson::SizeType i = 0; i < path->Size(); ++i) {
    const auto& h = (*path)[i];
    auto raw = h.IsString() ? crypto::HexDecode(std::string_view(h.GetString(), h.GetStringLength())) : std::nullopt;
    if (!raw || raw->size() != 32) return bad("/audit_path/" + std::to_string(i), "expected 64 hex digits");
    hashes.emplace_back();
    std::memcpy(hashes.back().data(), raw->data(), 32);
  }
  std::string_view canonical(entry->GetString(), entry->GetStringLength());
  merkle::Hash leaf = merkle::LeafHash(canonical);
  if (HashHex(leaf) != leaf_hash->GetString()) {
    return Status::Corruption(where + ": leaf_hash is not the hash of canonical_entry (proof edited)");
  }
  auto cp = OpenCheckpoint(std::string_view(note->GetString(), note->GetStringLength()), trusted, where + " /checkpoint");
  if (!cp.ok()) return cp.status();
  if (cp->checkpoint.size != size->GetUint64()) {
    return Status::Corruption(where + ": tree_size " + std::to_string(size->GetUint64()) + " is not the checkpoint's " +
                              std::to_string(cp->checkpoint.size));
  }
  if (!merkle::VerifyInclusion(index->GetUint64(), cp->checkpoint.size, leaf, hashes, cp->checkpoint.root)) {
    return Status::Corruption(where + ": the audit path does not lead from leaf " + std::to_string(index->GetUint64()) +
                              " to the checkpoint's root: the entry is not in the tree the checkpoint signed");
  }
  auto parsed = json::Parse(canonical);
  std::string what = "entry";
  if (parsed.ok() && parsed->IsObject()) {
    what = json::GetString(*parsed, "kind") + " entry";
    const auto* seq = json::GetMember(*parsed, "seq");
    what += " " + json::GetString(*parsed, "chain_id") + " seq " + (seq && seq->IsInt64() ? std::to_string(seq->GetInt64()) : "?");
    std::string table = json::GetString(*parsed, "artifact_table");
    if (!table.empty()) what += " (" + table + "/" + json::GetString(*parsed, "artifact_id") + ")";
  }
  return what + " is leaf " + std::to_string(index->GetUint64()) + " of the " + std::to_string(cp->checkpoint.size) +
         "-entry ledger tree of checkpoint " + cp->checkpoint.origin + ", signed by trusted server key " + cp->signer.key_id;
}

}  // namespace oep
