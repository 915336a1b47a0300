"""Integration tests of the sandbox API server, driven by real clients."""
