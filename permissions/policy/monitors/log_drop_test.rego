package monitors.log_drop_test

import data.monitors.log_drop

test_each_drop_is_denied if {
	msgs := log_drop.deny with input as {"drops": [{"run_id": "r", "count": 2, "first_seq": 3, "last_seq": 4, "reason": "full"}]}
	msgs == {"run r dropped 2 events (seq 3..4): full"}
}

test_no_drop_no_message if {
	count(log_drop.deny) == 0 with input as {"drops": []}
}
