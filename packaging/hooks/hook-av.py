"""The media-less `av` stand-in (packaging/nomedia) is plain Python: nothing to collect.

This hook takes the place of the contributed PyAV hook, which would collect every
PyAV extension module and the FFmpeg libraries.
"""

hiddenimports = ["av.audio", "av.frame", "av.packet", "av.video.codeccontext", "av.video.frame"]
