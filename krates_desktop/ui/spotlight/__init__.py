"""UI: spotlight."""
