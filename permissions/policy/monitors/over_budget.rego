# A run whose recorded cost (budget.run_cost_usd of its steps) passed
# data.budget.max_run_cost_usd. One violation per step past the cap.
package monitors.over_budget

violation contains v if {
	cap := data.budget.max_run_cost_usd
	some event in input.events
	event.budget.run_cost_usd > cap
	v := {
		"msg": sprintf("run %s cost %v USD, over its budget of %v USD", [event.trace_id, event.budget.run_cost_usd, cap]),
		"severity": "high",
		"run_id": event.trace_id,
		"event_ids": [event.event_id],
	}
}
