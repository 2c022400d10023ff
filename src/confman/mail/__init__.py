"""E-mail that is never lost: the transactional outbox (events and their e-mails), the message
frame with the registry of the domains' renderers, and the transports. Imports no domain."""
