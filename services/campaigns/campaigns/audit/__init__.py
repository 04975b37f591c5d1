"""The audit log: who changed what, when, and how it looked before and after."""
