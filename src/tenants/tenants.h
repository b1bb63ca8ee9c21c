// Tenants, API keys and roles of `oep serve`. A key is "oepk_<key id>_<secret>"; the store
// keeps only its SHA-256 (the key has 256 random bits, so a fast hash suffices) and the
// key id. Roles: viewer reads; approver reads and approves; ingest only writes evidence;
// admin reads, writes, approves and administers (policies, keys).
#pragma once

#include <string>
#include <string_view>

#include "store/store.h"
#include "util/status.h"

namespace oep {

enum class Permission { kRead, kWrite, kApprove, kAdmin };

// Whether `role` grants `permission` (false for an unknown role).
bool RoleAllows(std::string_view role, Permission permission);
const char* PermissionName(Permission permission);

// Tenant names: 1-63 of [a-z0-9-], starting with a letter or digit.
Status ValidateTenantName(std::string_view name);

// Creates tenant `name` (kUnchanged when it exists) and records it in the audit log.
Result<PutOutcome> CreateTenant(Store& store, const std::string& name, const std::string& actor);

struct IssuedKey {
  std::string key;  // shown once, never stored
  ApiKeyRecord record;
};

// A new key of `role` for the existing tenant `tenant` (NotFound otherwise), audited.
Result<IssuedKey> CreateApiKey(Store& store, const std::string& tenant, const std::string& role,
                               const std::string& label, const std::string& actor);
// Revokes the key `key_id` (a key id, or a whole key whose id is taken), audited.
Result<PutOutcome> RevokeApiKey(Store& store, const std::string& key_id, const std::string& actor);

// The valid key `key` names; NotFound when unknown or malformed, Conflict when revoked
// (both are 401 over HTTP, with the same message).
Result<ApiKeyRecord> Authenticate(Store& store, std::string_view key);

}  // namespace oep
