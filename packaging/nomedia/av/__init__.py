"""A stand-in for PyAV in the Krates bundle: the names aiortc imports, and no FFmpeg.

Krates talks to its peers over WebRTC data channels only. aiortc imports PyAV's
frame, packet and codec classes when it is imported, and calls into them only to
send or receive audio and video, which Krates never negotiates. The real PyAV adds
about 80 MB of FFmpeg to a bundle, GPL-licensed encoders (x264, x265) among it,
and would hand media from a peer to FFmpeg's decoders. This package gives aiortc
the names it imports; creating any of them raises `MediaUnavailable`, which is an
`FFmpegError`, so aiortc's media paths fail the way they fail on a broken stream.

Limitations: a bundle built with it cannot send or receive audio or video tracks.
"""

from __future__ import annotations

from typing import NoReturn

from av._unavailable import FFmpegError, MediaUnavailable, Unavailable
from av.audio import AudioFrame, AudioResampler
from av.frame import Frame
from av.packet import Packet
from av.video.codeccontext import CodecContext
from av.video.frame import VideoFrame

__all__ = [
    "AudioFrame",
    "AudioResampler",
    "CodecContext",
    "FFmpegError",
    "Frame",
    "MediaUnavailable",
    "Packet",
    "Unavailable",
    "VideoFrame",
    "open",
]

__version__ = "0+nomedia"


def open(*_args: object, **_kwargs: object) -> NoReturn:  # noqa: A001 - PyAV's name
    """PyAV opens media files and devices here; this build has none to open."""
    raise MediaUnavailable("av.open")
