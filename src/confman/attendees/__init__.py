"""The attendee's side of a registration: their page, personal feed, join gate, seats and reminders."""
