"""E-mail that is never lost: the transactional outbox, its worker and the transports."""
