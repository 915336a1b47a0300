"""UI: hud."""
