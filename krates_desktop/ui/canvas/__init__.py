"""UI: canvas."""
