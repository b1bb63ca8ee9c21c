package monitors.over_budget_test

import data.monitors.over_budget

test_step_past_the_cap_is_flagged if {
	vs := over_budget.violation with input as {"events": [
		{"event_id": "e1", "trace_id": "r", "budget": {"run_cost_usd": 1}},
		{"event_id": "e2", "trace_id": "r", "budget": {"run_cost_usd": 3}},
	]}
		with data.budget as {"max_run_cost_usd": 2}
	count(vs) == 1
	some v in vs
	v.event_ids == ["e2"]
}

test_no_cap_no_violation if {
	count(over_budget.violation) == 0 with input as {"events": [{"event_id": "e1", "trace_id": "r", "budget": {"run_cost_usd": 100}}]}
		with data.budget as {}
}
