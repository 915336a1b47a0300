"""UI: the admin drawer."""
