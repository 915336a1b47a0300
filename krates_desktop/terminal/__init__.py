"""The terminal model: a pyte screen with the fixes a real shell needs."""
