# Personal data leaving the system: an executed e-mail or send tool whose payload (what it
# sent) or outcome summary holds an e-mail address, a phone number, a US SSN or a card number.
package monitors.pii_outbound

executed_types := {"tool_call.executed", "tool_call.completed", "tool_call.failed"}

# The tool an event ran: tool_payload.tool, else action.action_type (as oep verify reads it).
# Written out in each rule rather than as a function of the event: a function's calls are
# memoized by their arguments' text, and serializing every event is most of the cost.

outbound_tool(name) if regex.match(`(?i)(e-?mail|mail|send|sms|message|notify|post)`, name)

patterns := {
	"e-mail address": `[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`,
	"phone number": `\+?[0-9][0-9 ().-]{8,}[0-9]`,
	"US SSN": `\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b`,
	"card number": `\b(?:[0-9][ -]?){13,16}\b`,
}


violation contains v if {
	some event in input.events
	executed_types[event.event_type]
	tool := object.get(event, ["tool_payload", "tool"], object.get(event, ["action", "action_type"], ""))
	outbound_tool(tool)
	sent := concat("\n", [json.marshal(object.get(event, "tool_payload", null)), object.get(event, ["outcome", "summary"], "")])
	found := sort([kind | some kind, pattern in patterns; regex.match(pattern, sent)])
	count(found) > 0
	v := {
		"msg": sprintf("tool %s sent personal data out (%s)", [tool, concat(", ", found)]),
		"severity": "high",
		"run_id": event.trace_id,
		"event_ids": [event.event_id],
		"details": {"kinds": found},
	}
}
