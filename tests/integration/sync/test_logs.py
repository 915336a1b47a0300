"""A whole sharing session logged at DEBUG shows no secret, link, offer or ICE password."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from tests.integration.sync.harness import (
    REFS,
    all_synced,
    converged,
    founder,
    peer_from_invite,
    start_server,
    stop_all,
    wait_for,
)


def test_secrets_and_offers_never_reach_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Planted secrets, the invite link, sealed payloads and SDP credentials are absent from every log line."""
    planted: list[str] = []

    async def scenario() -> None:
        server = await start_server()
        first, invite = founder(server.url)
        second = peer_from_invite(invite.to_link(), "Sam Okafor", 2)
        planted.extend([invite.secret.reveal(), invite.to_link()])
        original = first.session._sealer.seal

        def spy(sender: str, recipient: str, payload: dict[str, str]) -> str:
            sealed = original(sender, recipient, payload)
            planted.append(sealed)
            sdp = payload.get("sdp", "")
            planted.extend(re.findall(r"a=ice-pwd:(\S+)", sdp))
            planted.extend(re.findall(r"a=fingerprint:sha-256 (\S+)", sdp))
            return sealed

        first.session._sealer.seal = spy  # type: ignore[method-assign]
        try:
            await first.start()
            await second.start()
            await wait_for(all_synced([first, second]), 10, "sync")
            first.yard.open_view(REFS[0], "logs", (6000, 4000))
            await wait_for(converged([first, second]), 5, "convergence")
            fresh = await first.session.reset_secret()
            planted.append(fresh.reveal())
            await wait_for(
                lambda: second.session.room == first.session.room, 5, "rotation"
            )
        finally:
            await stop_all([first, second], server)

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    text = caplog.text
    assert len(planted) >= 6 and len(text) > 2000
    for secret in planted:
        assert secret not in text
