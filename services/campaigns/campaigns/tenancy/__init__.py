"""Tenants, users, roles and memberships, logging in, API tokens: who is asking, for whom."""
