# Evidence was lost: a recorded LOG_DROP (POST /v1/runs/{id}:drop).
package monitors.log_drop

deny contains msg if {
	some drop in input.drops
	msg := sprintf("run %s dropped %d events (seq %d..%d): %s", [drop.run_id, drop.count, drop.first_seq, drop.last_seq, drop.reason])
}
