"""The yard: the krates and windows on the canvas, as plain Python."""
