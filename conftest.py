"""Repository-wide pytest configuration: the pytester plugin for tests that run pytest itself."""

pytest_plugins = ["pytester"]
