package oep.permissions_test

import rego.v1

import data.oep.permissions

read_input(cost) := {
	"actor": {"type": "agent", "id": "agent_oep_demo_reviewer"},
	"tool": {"name": "read_diff", "operation": "read"},
	"resource": {"mutable": false},
	"approval": null,
	"run": {"cost_usd_so_far": cost},
}

test_read_within_budget_allowed if {
	permissions.decision.allow with input as read_input(0.01)
}

test_read_over_budget_denied if {
	d := permissions.decision with input as read_input(0.02)
	d.matched_rule == "deny_run_budget_exceeded"
	d.allow == false
}

test_approved_write_over_budget_denied if {
	d := permissions.decision with input as object.union(read_input(0.5), {"tool": {"name": "write_file", "operation": "write"}, "approval": {"outcome": "approved"}})
	d.decision_code == "DENY_BUDGET_EXCEEDED"
}
