"""Organiser accounts, API tokens and per-conference roles."""
