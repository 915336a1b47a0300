"""UI: windows."""
