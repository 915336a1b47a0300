"""`av.frame.Frame`: the base of audio and video frames."""

from av._unavailable import Unavailable


class Frame(Unavailable):
    """A decoded audio or video frame."""
