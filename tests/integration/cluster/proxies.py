"""Small loopback proxies for the tests: HTTP CONNECT (plain or TLS) and SOCKS5.

Each runs on its own asyncio loop in a thread, accepts connections on 127.0.0.1,
opens the tunnel a client asks for (to loopback only), pipes bytes both ways, and
records every tunnel target so a test can check that traffic really went through.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import threading


class _Proxy:
    """The loop, the server and the byte pumps shared by the proxies."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls
        self.port = 0
        self.tunnels: list[tuple[str, int]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(
            target=self._main, name="test-proxy", daemon=True
        )

    def start(self) -> _Proxy:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def close(self) -> None:
        async def shut() -> None:
            assert self._server is not None
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._tls)
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        self._loop.run_forever()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            host, port = await self.handshake(reader, writer)
            if host not in ("127.0.0.1", "localhost"):
                raise OSError("loopback only")
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            writer.close()
            return
        self.tunnels.append((host, port))
        await self.opened(writer)
        await asyncio.gather(
            _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
        )

    async def handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int]:
        raise NotImplementedError

    async def opened(self, writer: asyncio.StreamWriter) -> None:
        """The tunnel is up: tell the client."""


class ConnectProxy(_Proxy):
    """An HTTP proxy that only does CONNECT (what HTTPS through a proxy needs)."""

    async def handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int]:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            raise OSError("not CONNECT")
        host, _, port = target.rpartition(":")
        return host.strip("[]"), int(port)

    async def opened(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()


class Socks5Proxy(_Proxy):
    """A SOCKS5 proxy (CONNECT only), with user/password auth when given."""

    def __init__(self, username: str = "", password: str = "") -> None:
        super().__init__()
        self._username = username
        self._password = password

    async def handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int]:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        wanted = 2 if self._username else 0
        if version != 5 or wanted not in methods:
            writer.write(b"\x05\xff")
            raise OSError("no acceptable method")
        writer.write(bytes([5, wanted]))
        if wanted == 2:
            await reader.readexactly(1)
            user = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            password = (
                await reader.readexactly((await reader.readexactly(1))[0])
            ).decode()
            ok = (user, password) == (self._username, self._password)
            writer.write(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                raise OSError("bad login")
        _, command, _, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = ".".join(str(b) for b in await reader.readexactly(4))
        elif address_type == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            raise OSError("address type")
        port = struct.unpack("!H", await reader.readexactly(2))[0]
        if command != 1:
            raise OSError("only CONNECT")
        return host, port

    async def opened(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")
        await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()
