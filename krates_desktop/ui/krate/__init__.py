"""UI: krate."""
