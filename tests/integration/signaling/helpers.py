"""Raw WebSocket clients of the real signaling server, for the protocol tests."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from krates_desktop.signaling.protocol import PROTOCOL_VERSION
from krates_desktop.signaling.server import ServerConfig, SignalServer

ROOM = "0123456789abcdef0123456789abcdef"
OTHER_ROOM = "fedcba9876543210fedcba9876543210"


async def serve(**config: Any) -> SignalServer:
    """A started server on a free loopback port."""
    server = SignalServer(ServerConfig(host="127.0.0.1", port=0, **config))
    await server.start()
    return server


class Client:
    """One raw protocol client."""

    def __init__(
        self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse
    ):
        self.http = http
        self.ws = ws

    @classmethod
    async def connect(cls, url: str) -> Client:
        """Open a WebSocket to ``url``."""
        http = aiohttp.ClientSession()
        return cls(http, await http.ws_connect(url))

    async def send(self, **message: Any) -> None:
        """Send one JSON message."""
        await self.ws.send_json(message)

    async def join(self, peer: str, room: str = ROOM) -> dict[str, Any]:
        """Join and return the server's answer."""
        await self.send(type="join", version=PROTOCOL_VERSION, room=room, peer=peer)
        return await self.receive()

    async def receive(self, timeout: float = 3.0) -> dict[str, Any]:
        """The next JSON message (pings from the server are skipped)."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), timeout)
            if message.type != aiohttp.WSMsgType.TEXT:
                return {"closed": self.ws.close_code}
            body = message.json()
            if body.get("type") != "ping":
                return body  # type: ignore[no-any-return]

    async def closed(self, timeout: float = 3.0) -> int | None:
        """Wait for the server to close; return the close code."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), timeout)
            if message.type == aiohttp.WSMsgType.CLOSE:
                return int(message.data)
            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return self.ws.close_code

    async def close(self) -> None:
        """Close the socket and the HTTP session."""
        await self.ws.close()
        await self.http.close()


class StalledPeer:
    """A raw WebSocket client that joins and then never reads again, with a small
    receive buffer so that what the server sends it piles up quickly."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def join(cls, url: str, peer: str, room: str = ROOM) -> StalledPeer:
        """Connect, upgrade, and send ``join`` (the answer is never read)."""
        address = urlsplit(url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(
            sock, (address.hostname, address.port)
        )
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(
            f"GET / HTTP/1.1\r\nHost: {address.netloc}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        answer = await reader.readuntil(b"\r\n\r\n")
        assert b" 101 " in answer.split(b"\r\n", 1)[0], answer
        text = (
            f'{{"type":"join","version":{PROTOCOL_VERSION},"room":"{room}","peer":"{peer}"}}'
        ).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        writer.write(bytes([0x81, 0x80 | len(text)]) + mask + masked)
        await writer.drain()
        return cls(reader, writer)

    async def ended(self, timeout: float = 30.0) -> bool:
        """Read whatever arrived until the server's end of the connection closes."""
        try:
            while await asyncio.wait_for(self.reader.read(1 << 20), timeout):
                pass
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        """Drop the connection."""
        self.writer.close()


async def close_all(clients: list[Client], *servers: SignalServer) -> None:
    """Close every client, then stop the servers."""
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    for server in servers:
        await server.stop()
