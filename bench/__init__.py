"""Benchmarks (`make bench`): a seeded large database and latency percentiles."""
