"""Webhooks: organisers' endpoints per conference, and the signed deliveries of the public
outbox events to them (``delivery.py``), with SSRF checks (``addresses.py``)."""
