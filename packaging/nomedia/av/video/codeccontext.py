"""`av.video.codeccontext`: encoders and decoders."""

from av._unavailable import Unavailable


class CodecContext(Unavailable):
    """An encoder or decoder; `CodecContext.create` raises `MediaUnavailable`."""


class VideoCodecContext(CodecContext):
    """A video encoder or decoder."""
