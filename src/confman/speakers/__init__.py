"""Speakers: name, country, zone and bio, per conference."""
