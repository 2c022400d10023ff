"""Conferences, their tracks and streams, and who may manage them."""
