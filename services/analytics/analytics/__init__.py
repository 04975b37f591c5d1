"""Koers analytics: per-creative weekly funnel facts built from the event stream."""
