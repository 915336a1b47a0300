"""The error every media class of the stand-in raises, and their common base."""

from __future__ import annotations

from typing import NoReturn


class FFmpegError(Exception):
    """PyAV's root error; aiortc catches it around decoding."""


class MediaUnavailable(FFmpegError):
    """Raised on any use of audio or video: this build of Krates has no FFmpeg."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} is not available: this build of Krates has no audio or video "
            "support (it ships without PyAV and FFmpeg)."
        )


class Unavailable:
    """A PyAV class that exists for `import` and `isinstance`, and cannot be created."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        raise MediaUnavailable(type(self).__name__)

    @classmethod
    def create(cls, *_args: object, **_kwargs: object) -> NoReturn:
        """PyAV's factory for codec contexts; here it raises like the constructor."""
        raise MediaUnavailable(f"{cls.__name__}.create")
