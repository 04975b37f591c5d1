"""Koers campaigns service: the marketers' console, campaigns and their variants."""
