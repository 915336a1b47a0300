"""The media-less `av` stand-in: aiortc imports and opens data channels with it; media fails clearly."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.packaging.helpers import PACKAGING

NOMEDIA = PACKAGING / "nomedia"

# Two aiortc peers in one process exchange a message over a data channel. aioice never
# offers 127.0.0.1 as a host candidate, and tests may use loopback only, so the one
# replaced function is the host-address discovery.
DATA_CHANNEL = f"""
import asyncio
import av
assert av.__file__.startswith({str(NOMEDIA)!r}), av.__file__
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
from aiortc import RTCConfiguration, RTCPeerConnection

async def main():
    offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    reply = asyncio.get_running_loop().create_future()
    channel = offerer.createDataChannel("yard")

    @answerer.on("datachannel")
    def on_datachannel(remote):
        remote.on("message", lambda message: remote.send("pong " + message))

    channel.on("open", lambda: channel.send("ping"))
    channel.on("message", reply.set_result)
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)
    print(await asyncio.wait_for(reply, 20))
    await offerer.close()
    await answerer.close()

asyncio.run(main())
"""

MEDIA = """
import av
from aiortc.codecs import get_decoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
try:
    get_decoder(RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=96))
except av.FFmpegError as exc:
    print(type(exc).__name__, exc)
"""


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(NOMEDIA)}
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_data_channel_works_without_pyav() -> None:
    """With the stand-in first on the path, two aiortc peers exchange a data-channel message."""
    result = _python(DATA_CHANNEL)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "pong ping"


def test_every_aiortc_module_imports_with_the_stand_in() -> None:
    """All of aiortc (but its contrib media helpers) imports against the stand-in."""
    code = (
        "import pkgutil, importlib, aiortc\n"
        "names = [m.name for m in pkgutil.walk_packages(aiortc.__path__, 'aiortc.')"
        " if not m.name.startswith('aiortc.contrib')]\n"
        "[importlib.import_module(n) for n in names]\n"
        "print(len(names))\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout) > 20


def test_media_use_raises_a_clear_ffmpeg_error() -> None:
    """Asking aiortc for a video decoder raises MediaUnavailable, an av.FFmpegError, saying why."""
    result = _python(MEDIA)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("MediaUnavailable ")
    assert "no audio or video support" in result.stdout
