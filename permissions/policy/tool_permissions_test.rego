package oep.permissions_test

import rego.v1

import data.oep.permissions

read_input := {
	"actor": {"type": "agent", "id": "agent_oep_demo_reviewer"},
	"tool": {"name": "read_diff", "operation": "read"},
	"resource": {"type": "pull_request_diff", "id": "pr_1042", "mutable": false},
	"approval": null,
}

write_input := {
	"actor": {"type": "agent", "id": "agent_oep_demo_reviewer"},
	"tool": {"name": "write_file", "operation": "write"},
	"resource": {"type": "repository_file", "id": "src/billing/invoice.py", "mutable": true},
	"approval": null,
}

test_read_only_tool_allowed if {
	d := permissions.decision with input as read_input
	d.allow == true
	d.matched_rule == "allow_read_only_review_tools"
}

test_read_of_mutable_resource_denied if {
	d := permissions.decision with input as object.union(read_input, {"resource": {"mutable": true}})
	d.allow == false
	d.matched_rule == "deny_by_default"
}

test_write_without_approval_denied if {
	d := permissions.decision with input as write_input
	d.allow == false
	d.matched_rule == "deny_write_without_approval"
}

test_write_with_approval_allowed if {
	d := permissions.decision with input as object.union(write_input, {"approval": {"outcome": "approved"}})
	d.allow == true
	d.matched_rule == "allow_approved_write"
}

test_unknown_tool_denied if {
	d := permissions.decision with input as object.union(read_input, {"tool": {"name": "exec_shell", "operation": "execute"}})
	d.matched_rule == "deny_by_default"
}
