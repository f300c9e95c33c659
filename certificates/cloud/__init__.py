"""클라우드 연결: which customer's cloud certificates this browser may use, and the devices kept."""
