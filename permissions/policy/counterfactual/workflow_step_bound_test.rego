package oep.permissions_test

import rego.v1

import data.oep.permissions

write_at(step) := {
	"tool": {"name": "write_file", "operation": "write"},
	"resource": {"type": "repository_file"},
	"run": {"step": step},
}

test_write_within_bound_allowed if {
	d := permissions.decision with input as write_at(2)
	d.matched_rule == "allow_repository_write_within_step_bound"
}

test_write_past_bound_denied if {
	d := permissions.decision with input as write_at(3)
	d.matched_rule == "deny_past_step_bound"
}

test_read_within_bound_allowed if {
	permissions.decision.allow with input as {"tool": {"operation": "read"}, "run": {"step": 1}}
}
