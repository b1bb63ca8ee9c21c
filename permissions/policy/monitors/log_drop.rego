# Evidence was lost: a recorded LOG_DROP (POST /v1/runs/{id}:drop), attributed to its run.
package monitors.log_drop

violation contains v if {
	some drop in input.drops
	v := {
		"msg": sprintf("run %s dropped %d events (seq %d..%d): %s", [drop.run_id, drop.count, drop.first_seq, drop.last_seq, drop.reason]),
		"severity": "medium",
		"run_id": drop.run_id,
	}
}
