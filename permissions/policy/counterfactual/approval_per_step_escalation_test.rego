package oep.permissions_test

import rego.v1

import data.oep.permissions

test_unapproved_read_denied if {
	d := permissions.decision with input as {"tool": {"name": "read_diff", "operation": "read"}, "approval": null}
	d.allow == false
	d.matched_rule == "deny_step_needs_approval"
}

test_approved_write_allowed if {
	d := permissions.decision with input as {"tool": {"name": "write_file", "operation": "write"}, "approval": {"outcome": "approved"}}
	d.allow == true
}
