"""Yard sync: the data-channel protocol, WebRTC links, signaling client and invites."""
