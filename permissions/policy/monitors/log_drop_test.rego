package monitors.log_drop_test

import data.monitors.log_drop

test_each_drop_is_a_violation_of_its_run if {
	found := log_drop.violation with input as {"drops": [{"run_id": "r", "count": 2, "first_seq": 3, "last_seq": 4, "reason": "full"}]}
	found == {{"msg": "run r dropped 2 events (seq 3..4): full", "severity": "medium", "run_id": "r"}}
}

test_no_drop_no_violation if {
	count(log_drop.violation) == 0 with input as {"drops": []}
}
