"""Organisers' messages to their attendees: the recipients, the sending, and the e-mail's wording."""
