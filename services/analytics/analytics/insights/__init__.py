"""Which creative attributes drive conversions per euro (a count GLM) and the classical
per-creative intervals beside it, served at ``/v1/campaigns/{id}/insights``."""
