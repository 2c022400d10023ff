"""iCalendar (.ics) files of the public programme: the builder and its HTTP handlers."""
