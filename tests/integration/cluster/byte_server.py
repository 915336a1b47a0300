"""A loopback HTTP server that answers a pod-log request with exact bytes, chunk by chunk.

The sandbox's containers write believable logs, but a test of decoding needs
chosen bytes split at chosen places (a Latin-1 byte, a 3-byte character cut in
two). This server sends them as an API server would: 200, ``text/plain``,
chunked, one HTTP chunk per element of ``chunks``, then keeps the stream open.
"""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class ByteServer:
    """Serves ``chunks`` on every GET of a ``.../log`` path."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.requests: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._main, name="byte-server", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ByteServer:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def stop(self) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _main(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        runner = web.AppRunner(app, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(str(request.rel_url))
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for chunk in self.chunks:
            await response.write(chunk)
            await asyncio.sleep(0.01)
        await asyncio.sleep(30)
        return response
