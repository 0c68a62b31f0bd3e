"""Paired comparison of two adapters or runs: per-case tables, statistics, power."""
