"""`av.audio`: audio frames, streams and the resampler."""

from av._unavailable import Unavailable
from av.frame import Frame


class AudioFrame(Frame):
    """A decoded audio frame."""


class AudioResampler(Unavailable):
    """Converts audio frames between formats and rates."""


class AudioStream(Unavailable):
    """An audio stream of a container."""
