"""The demo conference from DESIGN.md, loaded by ``confman demo``."""
