package oep.:if {
	d := persciteiion with oo$": {"name": "wow == true
}
