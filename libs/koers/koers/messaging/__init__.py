"""Messaging: the transactional outbox, its relay, and the consumer loop."""
