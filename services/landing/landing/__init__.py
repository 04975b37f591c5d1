"""Koers landing service: candidate pages, leads and their consent records."""
