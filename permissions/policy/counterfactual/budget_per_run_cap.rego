# Counterfactual: the demo permissions plus a per-run budget cap of 0.015 USD.
# A tool call in a run that has already spent more than the cap is denied first.
package oep.permissions

import rego.v1

run_budget_cap_usd := 0.015

read_only_tools := {"read_diff", "read_file", "list_files"}

over_budget if input.run.cost_usd_so_far > run_budget_cap_usd

default decision := {
	"allow": false,
	"matched_rule": "deny_by_default",
	"reason": "no rule allows this tool call",
	"decision_code": "DENY_DEFAULT",
}

decision := {
	"allow": false,
	"matched_rule": "deny_run_budget_exceeded",
	"reason": "the run has spent more than its per-run budget cap",
	"decision_code": "DENY_BUDGET_EXCEEDED",
} if over_budget

decision := {
	"allow": true,
	"matched_rule": "allow_read_only_review_tools",
	"reason": "review agents may call read-only tools on immutable resources",
	"decision_code": "ALLOW_READ_ONLY",
} if {
	not over_budget
	input.actor.type == "agent"
	input.tool.operation == "read"
	input.tool.name in read_only_tools
	input.resource.mutable == false
}

decision := {
	"allow": false,
	"matched_rule": "deny_write_without_approval",
	"reason": "writes to the repository need a recorded human approval",
	"decision_code": "DENY_WRITE_NEEDS_APPROVAL",
} if {
	not over_budget
	input.tool.operation == "write"
	not input.approval.outcome == "approved"
}

decision := {
	"allow": true,
	"matched_rule": "allow_approved_write",
	"reason": "a human approved this write",
	"decision_code": "ALLOW_APPROVED_WRITE",
} if {
	not over_budget
	input.tool.operation == "write"
	input.approval.outcome == "approved"
}
