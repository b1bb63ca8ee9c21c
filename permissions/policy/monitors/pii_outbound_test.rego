package monitors.pii_outbound_test

import data.monitors.pii_outbound

event(tool, payload) := {"event_id": "e1", "trace_id": "r", "event_type": "tool_call.executed", "tool_payload": object.union({"tool": tool}, payload)}

test_email_address_sent_is_flagged if {
	vs := pii_outbound.violation with input as {"events": [event("send_email", {"to": "alice@example.com"})]}
	some v in vs
	v.details.kinds == ["e-mail address"]
}

test_ssn_in_a_message_is_flagged if {
	vs := pii_outbound.violation with input as {"events": [event("post_message", {"text": "SSN 123-45-6789"})]}
	some v in vs
	"US SSN" in v.details.kinds
}

test_other_tools_and_clean_payloads_are_not_flagged if {
	count(pii_outbound.violation) == 0 with input as {"events": [
		event("read_file", {"path": "alice@example.com"}),
		event("send_email", {"to": "the team", "body": "done"}),
	]}
}
