"""Announcements: a conference's news in its languages, its public pages and feed, and sending it to attendees."""
