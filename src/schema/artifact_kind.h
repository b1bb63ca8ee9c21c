// The artifact kinds oep stores, and for each: its schema_version tag, schema file,
// table, id member and the join-key columns extracted for indexes. One table drives
// schema lookup, ingest extraction and the store's DDL, so a new kind is one entry.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace oep {

enum class ArtifactKind {
  kReleaseManifest,
  kAgentStepEvent,
  kHumanReviewEvent,
  kPermissionPacket,
  kOperationalTrace,
  kEvalResult,
  kReconstructionPacket,
  kCounterfactualRun,
  kApprovalRequest,
  kApprovalDecision,
  kMonitorViolation,
  kWebhookSubscription,
  kWebhookRemoval,
  kWebhookAttempt,  // the last: kArtifactKindCount follows it
};

// Arrays indexed by ArtifactKind have this many slots.
inline constexpr size_t kArtifactKindCount = static_cast<size_t>(ArtifactKind::kWebhookAttempt) + 1;

enum class ColumnType { kText, kBool };

struct KeyColumn {
  std::string_view name;       // SQL column
  std::string_view json_path;  // dotted path into the artifact
  ColumnType type = ColumnType::kText;
  bool indexed = true;
};

struct KindSpec {
  ArtifactKind kind;
  std::string_view schema_version;  // value of the artifact's "schema_version"
  std::string_view schema_file;     // repository-relative schema path
  std::string_view table;
  std::string_view id_column;       // primary key column
  std::string_view id_path;         // dotted path of the id inside the artifact
  std::string_view label;           // what people call it
  std::vector<KeyColumn> columns;   // extra columns (join keys and filters)
  // Column naming the release manifest this artifact belongs to (must exist in the
  // store or the same batch when non-null); empty for manifests themselves.
  std::string_view manifest_ref_column;
  // The store format version that introduced the kind's table (see Store::Migrate).
  int since_store_version = 1;
};

// All kinds, manifests first (ingest order within a batch does not depend on this).
std::span<const KindSpec> AllKinds();
const KindSpec& Spec(ArtifactKind kind);
const KindSpec* SpecForSchemaVersion(std::string_view schema_version);

}  // namespace oep
