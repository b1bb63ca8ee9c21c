# A tool whose mode is `require_approval` (data.tool_modes, see data.json) was executed
# without a decision token (approval.token_id). Whether a token is valid is what
# `oep verify --tool-modes` checks.
package monitors.approval_missing

executed_types := {"tool_call.executed", "tool_call.completed", "tool_call.failed"}

# The tool an event ran: tool_payload.tool, else action.action_type (as oep verify reads it).
# Written out in each rule rather than as a function of the event: a function's calls are
# memoized by their arguments' text, and serializing every event is most of the cost.

violation contains v if {
	some event in input.events
	executed_types[event.event_type]
	tool := object.get(event, ["tool_payload", "tool"], object.get(event, ["action", "action_type"], ""))
	data.tool_modes[tool] == "require_approval"
	object.get(event, ["approval", "token_id"], "") == ""
	v := {
		"msg": sprintf("tool %s requires approval but ran without a decision token", [tool]),
		"severity": "high",
		"run_id": event.trace_id,
		"event_ids": [event.event_id],
	}
}
