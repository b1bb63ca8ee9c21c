# Counterfactual: escalate every step to a human. Any tool call, read or write, needs a
# recorded approval; unapproved calls are denied.
package oep.permissions

import rego.v1

approved if input.approval.outcome == "approved"

default decision := {
	"allow": false,
	"matched_rule": "deny_step_needs_approval",
	"reason": "every agent step needs a recorded human approval",
	"decision_code": "DENY_STEP_NEEDS_APPROVAL",
}

decision := {
	"allow": true,
	"matched_rule": "allow_approved_step",
	"reason": "a human approved this step",
	"decision_code": "ALLOW_APPROVED_STEP",
} if approved
