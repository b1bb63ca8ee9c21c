// `oep drift RELEASE_A RELEASE_B`: five-surface drift between two releases (release
// manifests, by stored id or a manifest file): which of model, prompt, tool_schema, policy
// and workflow changed, by their layer bindings' digests, and which recorded decisions of
// release A each change could have touched:
//   policy       the decisions recorded under A's policy bundle (policy_bundle_version)
//   model        the decisions of A whose packet names A's model (model_alias), or every
//                decision of A when packets name no model
//   prompt, tool_schema, workflow   every decision of A (each step ran under them)
// Deterministic: a function of the two manifests and the stored decisions.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kReleaseDriftSchemaPath = "playbooks/schema/release_drift.v0.schema.json";

struct DriftOptions {
  int examples = 10;         // decision ids listed per changed surface
  int index_limit = 10000;   // up to this many decisions of release A are read through the release
                             // index; more, and every decision is streamed once instead
};

// Each release: a manifest file path (when such a file exists) or a stored manifest id.
// NotFound for an unknown id; InvalidArgument naming the file and JSON pointer for a file
// that is not a release manifest.
Result<rapidjson::Document> DriftReleases(Store& store, const std::string& release_a, const std::string& release_b,
                                          const DriftOptions& options = {});

std::string RenderDriftHuman(const rapidjson::Value& report);

}  // namespace oep
