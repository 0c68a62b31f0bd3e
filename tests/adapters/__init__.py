"""Tests of the Gradient adapters (harness.adapters.gradient, harness.adapters.http)."""
