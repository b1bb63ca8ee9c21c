#include "export/export_json.h"

#include "json/json.h"

namespace oep {

using rapidjson::Value;

namespace {
constexpr const char* kStringMembers[] = {"chain_id", "kind", "artifact_table", "artifact_id", "content_hash",
                                         "source", "prev_hash", "entry_hash"};

template <typename Entry>
auto& StringMember(Entry& e, std::string_view name) {
  if (name == "chain_id") return e.chain_id;
  if (name == "kind") return e.kind;
  if (name == "artifact_table") return e.artifact_table;
  if (name == "artifact_id") return e.artifact_id;
  if (name == "content_hash") return e.content_hash;
  if (name == "source") return e.source;
  if (name == "prev_hash") return e.prev_hash;
  return e.entry_hash;
}
}  // namespace

Value EntryToJson(const LedgerEntry& e, rapidjson::Document::AllocatorType& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("entry_id", e.entry_id, a);
  v.AddMember("seq", e.seq, a);
  for (const char* name : kStringMembers) {
    const std::string& s = StringMember(e, name);
    v.AddMember(Value(name, a), Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a), a);
  }
  Value payload(rapidjson::kNullType);
  if (!e.payload.empty()) {
    auto d = json::Parse(e.payload);
    if (d.ok()) payload = Value(*d, a);
  }
  v.AddMember("payload", payload, a);
  return v;
}

Status EntryFromJson(const Value& v, const std::string& pointer, LedgerEntry* out) {
  if (!v.IsObject()) return Status::InvalidArgument(pointer + ": expected a ledger entry object");
  for (const char* key : {"entry_id", "seq"}) {
    const Value* n = json::GetMember(v, key);
    if (n == nullptr || !n->IsInt64()) return Status::InvalidArgument(pointer + "/" + key + ": expected an integer");
  }
  out->entry_id = v["entry_id"].GetInt64();
  out->seq = v["seq"].GetInt64();
  for (const char* name : kStringMembers) {
    const Value* s = json::GetMember(v, name);
    if (s == nullptr || !s->IsString()) return Status::InvalidArgument(pointer + "/" + name + ": expected a string");
    StringMember(*out, name).assign(s->GetString(), s->GetStringLength());
  }
  const Value* payload = json::GetMember(v, "payload");
  if (payload == nullptr || !(payload->IsNull() || payload->IsObject())) {
    return Status::InvalidArgument(pointer + "/payload: expected an object or null");
  }
  out->payload = payload->IsNull() ? "" : json::CanonicalText(*payload);
  return Status::Ok();
}

}  // namespace oep
