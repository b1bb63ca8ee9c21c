#include "schema/artifact_kind.h"

#include <cstdlib>

namespace oep {
namespace {

const std::vector<KindSpec>& Kinds() {
  static const std::vector<KindSpec> kinds = {
      {ArtifactKind::kReleaseManifest, "oep.release_manifest.v0", "manifest/schema/release_manifest.v0.schema.json",
       "manifests", "manifest_id", "manifest_id", "release manifest",
       {{"release_name", "release.name", ColumnType::kText, false},
        {"release_version", "release.version", ColumnType::kText, false},
        {"created_at", "created_at", ColumnType::kText, false}},
       ""},
      {ArtifactKind::kAgentStepEvent, "oep.agent_step_event.v0", "events/schema/agent_step_event.v0.schema.json",
       "events", "event_id", "event_id", "agent-step event",
       {{"release_manifest_id", "release_manifest_id"},
        {"trace_id", "trace_id"},
        {"span_id", "span_id", ColumnType::kText, false},
        {"tool_call_id", "tool_call_id"},
        {"permission_packet_ref", "permission_packet_ref"},
        {"event_type", "event_type", ColumnType::kText, false},
        {"event_time", "event_time", ColumnType::kText, false},
        {"actor_id", "actor.id", ColumnType::kText, false}},
       "release_manifest_id"},
      {ArtifactKind::kHumanReviewEvent, "oep.human_review_event.v0", "events/schema/human_review_event.v0.schema.json",
       "human_reviews", "event_id", "event_id", "human-review event",
       {{"reviewed_event_id", "reviewed_decision_ref.event_id"},
        {"trace_id", "reviewed_decision_ref.trace_id"},
        {"release_manifest_id", "env.release_manifest_id"},
        {"event_time", "event_time", ColumnType::kText, false},
        {"outcome", "action.outcome", ColumnType::kText, false}},
       "release_manifest_id"},
      {ArtifactKind::kPermissionPacket, "oep.tool_permission_packet.v0",
       "permissions/schema/tool_permission_packet.v0.schema.json", "decisions", "decision_id", "packet_id",
       "tool permission packet",
       {{"release_manifest_id", "release_manifest_id"},
        {"event_id", "event_id"},
        {"tool_call_id", "tool_call_id"},
        {"trace_id", "trace_id"},
        {"span_id", "span_id", ColumnType::kText, false},
        {"decision_time", "decision_time"},
        {"allow", "decision.allow", ColumnType::kBool, false},
        {"matched_rule", "decision.matched_rule", ColumnType::kText, false},
        {"tool_name", "tool.name"},
        {"actor_id", "actor.id"},
        {"policy_bundle_version", "policy_bundle_version", ColumnType::kText, false}},
       "release_manifest_id"},
      {ArtifactKind::kOperationalTrace, "oep.operational_trace.v0", "traces/schema/operational_trace.v0.schema.json",
       "traces", "trace_id", "trace_id", "operational trace bundle",
       {{"release_manifest_id", "release_manifest_id"},
        {"status", "status", ColumnType::kText, false},
        {"started_at", "started_at", ColumnType::kText, false}},
       "release_manifest_id"},
      {ArtifactKind::kEvalResult, "oep.eval_result.v0", "traces/schema/eval_result.v0.schema.json", "evals",
       "eval_id", "eval_id", "eval result",
       {{"release_manifest_id", "release_manifest_id"},
        {"trace_id", "trace_id"},
        {"status", "status", ColumnType::kText, false}},
       "release_manifest_id"},
      {ArtifactKind::kReconstructionPacket, "oep.reconstruction_packet.v0",
       "playbooks/schema/reconstruction_packet.v0.schema.json", "reconstructions", "packet_id", "packet_id",
       "reconstruction packet",
       {{"release_manifest_id", "release_manifest_id"},
        {"trace_id", "trace_id"},
        {"event_id", "event_id"},
        {"permission_packet_id", "permission_packet_id"},
        {"reconstruction_status", "reconstruction_status", ColumnType::kText, false}},
       "release_manifest_id"},
      {ArtifactKind::kCounterfactualRun, "oep.counterfactual_run.v0",
       "playbooks/schema/counterfactual_run.v0.schema.json", "counterfactual_runs", "run_id", "run_id",
       "counterfactual run",
       {{"created_at", "created_at"},
        {"bundle_digest", "report.bundle_digest"},
        {"policy_bundle", "report.policy_bundle", ColumnType::kText, false}},
       "", 2},
      // Format 4: approval gates. Both are stored on their run's chain (trace_id).
      {ArtifactKind::kApprovalRequest, "oep.approval_request.v0", "permissions/schema/approval_request.v0.schema.json",
       "approval_requests", "request_id", "request_id", "approval request",
       {{"trace_id", "trace_id"},
        {"tool", "tool"},
        {"payload_sha256", "payload_sha256"},
        {"created_at", "created_at", ColumnType::kText, false}},
       "", 4},
      {ArtifactKind::kApprovalDecision, "oep.approval_decision.v0", "permissions/schema/approval_decision.v0.schema.json",
       "approval_decisions", "decision_id", "decision_id", "approval decision",
       {{"request_id", "request_id"},
        {"trace_id", "trace_id"},
        {"token_id", "token_id"},
        {"decision", "decision", ColumnType::kText, false}},
       "", 4},
      // Format 5: what the monitors flagged; on the store chain (a finished run's chain is sealed).
      {ArtifactKind::kMonitorViolation, "oep.monitor_violation.v0",
       "permissions/schema/monitor_violation.v0.schema.json", "violations", "violation_id", "violation_id",
       "monitor violation",
       {{"run_id", "run_id"},
        {"monitor", "monitor"},
        {"severity", "severity", ColumnType::kText, false},
        {"created_at", "created_at", ColumnType::kText, false}},
       "", 5},
      // Format 6: webhooks of `oep serve` (src/webhooks): subscriptions, their removals and the
      // delivery log, on the store chain.
      {ArtifactKind::kWebhookSubscription, "oep.webhook_subscription.v0",
       "permissions/schema/webhook_subscription.v0.schema.json", "webhook_subscriptions", "subscription_id",
       "subscription_id", "webhook subscription", {{"created_at", "created_at", ColumnType::kText, false}}, "", 6},
      {ArtifactKind::kWebhookRemoval, "oep.webhook_removal.v0", "permissions/schema/webhook_removal.v0.schema.json",
       "webhook_removals", "subscription_id", "subscription_id", "webhook removal",
       {{"removed_at", "removed_at", ColumnType::kText, false}}, "", 6},
      {ArtifactKind::kWebhookAttempt, "oep.webhook_attempt.v0", "permissions/schema/webhook_attempt.v0.schema.json",
       "webhook_attempts", "attempt_id", "attempt_id", "webhook delivery attempt",
       {{"subscription_id", "subscription_id"},
        {"delivery_id", "delivery_id"},
        {"outcome", "outcome", ColumnType::kText, false},
        {"at", "at", ColumnType::kText, false}},
       "", 6},
  };
  return kinds;
}

}  // namespace

std::span<const KindSpec> AllKinds() { return Kinds(); }

const KindSpec& Spec(ArtifactKind kind) {
  for (const auto& spec : Kinds()) {
    if (spec.kind == kind) return spec;
  }
  std::abort();  // every enumerator has an entry
}

const KindSpec* SpecForSchemaVersion(std::string_view schema_version) {
  for (const auto& spec : Kinds()) {
    if (spec.schema_version == schema_version) return &spec;
  }
  return nullptr;
}

}  // namespace oep
