package monitors.approval_missing_test

import data.monitors.approval_missing

modes := {"send_email": "require_approval"}

test_missing_token_is_flagged if {
	vs := approval_missing.violation with input as {"events": [{"event_id": "e1", "trace_id": "r", "event_type": "tool_call.completed", "tool_payload": {"tool": "send_email"}}]}
		with data.tool_modes as modes
	count(vs) == 1
	some v in vs
	v.severity == "high"
}

test_token_or_other_tool_is_not_flagged if {
	count(approval_missing.violation) == 0 with input as {"events": [
		{"event_id": "e1", "trace_id": "r", "event_type": "tool_call.completed", "tool_payload": {"tool": "send_email"}, "approval": {"token_id": "dtk_1"}},
		{"event_id": "e2", "trace_id": "r", "event_type": "tool_call.completed", "tool_payload": {"tool": "read_file"}},
	]}
		with data.tool_modes as modes
}
