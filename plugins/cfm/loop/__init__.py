"""The closed loop: cases opened by rules over enriched feedback, routed, tracked as
append-only events in ops.case_events, followed up (Gmail drafts) and measured for recovery."""
