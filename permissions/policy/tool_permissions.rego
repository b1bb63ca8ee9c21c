# Tool permissions for the oep code-review demo agent.
#
# data.oep.permissions.decision is the decision object recorded in every permission
# packet: allow, matched_rule, reason, decision_code. Exactly one rule applies to any
# input; anything no rule allows is denied.
package oep.permissions

import rego.v1

read_only_tools := {"read_diff", "read_file", "list_files"}

default decision := {
	"allow": false,
	"matched_rule": "deny_by_default",
	"reason": "no rule allows this tool call",
	"decision_code": "DENY_DEFAULT",
}

decision := {
	"allow": true,
	"matched_rule": "allow_read_only_review_tools",
	"reason": "review agents may call read-only tools on immutable resources",
	"decision_code": "ALLOW_READ_ONLY",
} if {
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
	input.tool.operation == "write"
	not write_approved
}

decision := {
	"allow": true,
	"matched_rule": "allow_approved_write",
	"reason": "a human approved this write",
	"decision_code": "ALLOW_APPROVED_WRITE",
} if {
	input.tool.operation == "write"
	write_approved
}

write_approved if input.approval.outcome == "approved"
