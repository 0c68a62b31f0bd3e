"""Tests of harness.adapters: the Gradient, OpenAI-compatible and replay LLMs and their types."""
