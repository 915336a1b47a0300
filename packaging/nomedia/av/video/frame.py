"""`av.video.frame`: video frames and their picture types."""

from enum import IntEnum

from av.frame import Frame


class PictureType(IntEnum):
    """The picture types aiortc sets on frames it encodes."""

    NONE = 0
    I = 1  # noqa: E741 - FFmpeg's name
    P = 2
    B = 3


class VideoFrame(Frame):
    """A decoded video frame."""
