"""Candidate data on request and on schedule: export, erasure, withdrawal, retention,
visitor salts."""
