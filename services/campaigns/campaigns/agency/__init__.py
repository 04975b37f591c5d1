"""The agency overview: every employer a person works for, at a glance."""
