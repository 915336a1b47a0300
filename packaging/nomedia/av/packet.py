"""`av.packet.Packet`: one encoded chunk of a stream."""

from av._unavailable import Unavailable


class Packet(Unavailable):
    """An encoded audio or video packet."""
