"""Benchmarks across employers who opt in: pooled figures per sector, region and channel."""
