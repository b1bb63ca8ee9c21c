# Counterfactual: a relaxed canary rule bounded by the workflow. Within the first
# `step_bound` steps of a run the agent may read, and may write to files of the reviewed
# repository without an approval; every step past the bound is denied.
package oep.permissions

import rego.v1

step_bound := 2

within_bound if input.run.step <= step_bound

default decision := {
	"allow": false,
	"matched_rule": "deny_by_default",
	"reason": "no rule allows this tool call",
	"decision_code": "DENY_DEFAULT",
}

decision := {
	"allow": false,
	"matched_rule": "deny_past_step_bound",
	"reason": "the run is past its workflow step bound",
	"decision_code": "DENY_STEP_BOUND",
} if not within_bound

decision := {
	"allow": true,
	"matched_rule": "allow_read_within_step_bound",
	"reason": "reads are allowed within the workflow step bound",
	"decision_code": "ALLOW_READ_IN_BOUND",
} if {
	within_bound
	input.tool.operation == "read"
}

decision := {
	"allow": true,
	"matched_rule": "allow_repository_write_within_step_bound",
	"reason": "writes to repository files are allowed within the workflow step bound",
	"decision_code": "ALLOW_WRITE_IN_BOUND",
} if {
	within_bound
	input.tool.operation == "write"
	input.resource.type == "repository_file"
}
