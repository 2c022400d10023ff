"""Attendee registration: capacity, waiting list, double opt-in, organiser management."""
