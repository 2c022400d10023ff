"""The organisers' audit trail: every change an organiser makes, recorded as it is flushed."""
