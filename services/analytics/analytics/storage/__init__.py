"""The analytics database: one schema, one migration history, shared by every feature."""
