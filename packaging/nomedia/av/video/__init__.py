"""`av.video`: video frames and codec contexts."""
