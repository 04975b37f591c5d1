"""Koers shared chassis: event contracts, messaging, database, web and broker helpers."""
