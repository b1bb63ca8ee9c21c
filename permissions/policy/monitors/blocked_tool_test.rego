package monitors.blocked_tool_test

import data.monitors.blocked_tool

modes := {"delete_repository": "block", "read_file": "allow"}

test_executed_block_tool_is_flagged if {
	vs := blocked_tool.violation with input as {"events": [{"event_id": "e1", "trace_id": "r", "event_type": "tool_call.executed", "tool_payload": {"tool": "delete_repository"}}]}
		with data.tool_modes as modes
	count(vs) == 1
	some v in vs
	v.event_ids == ["e1"]
	v.severity == "critical"
}

test_action_type_names_the_tool if {
	count(blocked_tool.violation) == 1 with input as {"events": [{"event_id": "e1", "trace_id": "r", "event_type": "tool_call.failed", "action": {"action_type": "delete_repository"}}]}
		with data.tool_modes as modes
}

test_requested_or_allowed_is_not_flagged if {
	count(blocked_tool.violation) == 0 with input as {"events": [
		{"event_id": "e1", "trace_id": "r", "event_type": "tool_call.requested", "tool_payload": {"tool": "delete_repository"}},
		{"event_id": "e2", "trace_id": "r", "event_type": "tool_call.executed", "tool_payload": {"tool": "read_file"}},
	]}
		with data.tool_modes as modes
}
