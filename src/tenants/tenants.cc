#include "tenants/tenants.h"

#include "audit/audit.h"
#include "crypto/random.h"
#include "crypto/sha256.h"

namespace oep {
namespace {

constexpr std::string_view kKeyPrefix = "oepk_";

bool ValidRole(std::string_view role) {
  return role == "admin" || role == "approver" || role == "viewer" || role == "ingest";
}

// The key id inside a whole key ("oepk_<id>_<secret>"), or `text` itself.
std::string KeyIdOf(const std::string& text) {
  if (text.rfind(kKeyPrefix, 0) != 0) return text;
  size_t end = text.find('_', kKeyPrefix.size());
  return end == std::string::npos ? text : text.substr(kKeyPrefix.size(), end - kKeyPrefix.size());
}

// Writes `action` and the audit record of it in one transaction.
template <typename Fn>
Status AuditedBatch(Store& store, const AuditEvent& event, Fn action) {
  OEP_RETURN_IF_ERROR(store.BeginBatch());
  Status s = action();
  if (s.ok()) s = RecordAuditInBatch(store, event);
  if (!s.ok()) {
    store.RollbackBatch();
    return s;
  }
  return store.CommitBatch();
}

}  // namespace

bool RoleAllows(std::string_view role, Permission p) {
  switch (p) {
    case Permission::kRead: return role == "viewer" || role == "approver" || role == "admin";
    case Permission::kWrite: return role == "ingest" || role == "admin";
    case Permission::kApprove: return role == "approver" || role == "admin";
    case Permission::kAdmin: return role == "admin";
  }
  return false;
}

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead: return "read";
    case Permission::kWrite: return "write";
    case Permission::kApprove: return "approve";
    case Permission::kAdmin: return "admin";
  }
  return "?";
}

Status ValidateTenantName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 && name[0] != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return Status::Ok();
  return Status::InvalidArgument("tenant name \"" + std::string(name) +
                                 "\": expected 1-63 lowercase letters, digits or '-', not starting with '-'");
}

Result<PutOutcome> CreateTenant(Store& store, const std::string& name, const std::string& actor) {
  OEP_RETURN_IF_ERROR(ValidateTenantName(name));
  PutOutcome outcome = PutOutcome::kUnchanged;
  std::string scope = store.tenant();
  store.ScopeToTenant(name);
  AuditEvent event{actor, "tenant.create", name, "ok", ""};
  Status s = AuditedBatch(store, event, [&]() -> Status {
    auto put = store.PutTenant(name, NowUtcMicros());
    if (!put.ok()) return put.status();
    outcome = *put;
    if (outcome == PutOutcome::kUnchanged) event.outcome = "exists";
    return Status::Ok();
  });
  store.ScopeToTenant(scope);
  if (!s.ok()) return s;
  return outcome;
}

Result<IssuedKey> CreateApiKey(Store& store, const std::string& tenant, const std::string& role,
                               const std::string& label, const std::string& actor) {
  if (!ValidRole(role)) {
    return Status::InvalidArgument("--role " + role + ": expected admin, approver, viewer or ingest");
  }
  OEP_RETURN_IF_ERROR(ValidateTenantName(tenant));
  auto exists = store.TenantExists(tenant);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return Status::NotFound("no tenant \"" + tenant + "\" in " + store.path() + " (create it with `oep tenant create " +
                            tenant + "`)");
  }
  auto id = crypto::RandomHex(8);
  if (!id.ok()) return id.status();
  auto secret = crypto::RandomHex(32);
  if (!secret.ok()) return secret.status();
  IssuedKey issued;
  issued.key = std::string(kKeyPrefix) + *id + "_" + *secret;
  issued.record = {*id, tenant, role, crypto::Sha256Hex(issued.key), NowUtcMicros(), label, ""};
  std::string scope = store.tenant();
  store.ScopeToTenant(tenant);
  Status s = AuditedBatch(store, {actor, "key.create", *id, "ok", "role " + role},
                          [&] { return store.PutApiKey(issued.record); });
  store.ScopeToTenant(scope);
  if (!s.ok()) return s;
  return issued;
}

Result<PutOutcome> RevokeApiKey(Store& store, const std::string& key_or_id, const std::string& actor) {
  std::string key_id = KeyIdOf(key_or_id);
  auto keys = store.ListApiKeys("");
  if (!keys.ok()) return keys.status();
  const ApiKeyRecord* found = nullptr;
  for (const auto& k : *keys) {
    if (k.key_id == key_id) found = &k;
  }
  if (found == nullptr) return Status::NotFound("no API key \"" + key_id + "\" in " + store.path());
  PutOutcome outcome = PutOutcome::kUnchanged;
  std::string scope = store.tenant();
  store.ScopeToTenant(found->tenant);
  Status s = AuditedBatch(store, {actor, "key.revoke", key_id, "ok", ""}, [&]() -> Status {
    auto r = store.RevokeApiKey(key_id, NowUtcMicros());
    if (!r.ok()) return r.status();
    outcome = *r;
    return Status::Ok();
  });
  store.ScopeToTenant(scope);
  if (!s.ok()) return s;
  return outcome;
}

Result<ApiKeyRecord> Authenticate(Store& store, std::string_view key) {
  if (key.rfind(kKeyPrefix, 0) != 0 || key.size() > 200) return Status::NotFound("unknown API key");
  auto found = store.FindApiKeyByHash(crypto::Sha256Hex(key));
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound("unknown API key");
  if (!(*found)->revoked_at.empty()) return Status::Conflict("API key " + (*found)->key_id + " is revoked");
  return **found;
}

}  // namespace oep
