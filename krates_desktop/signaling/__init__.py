"""krates-signal: the WebSocket relay that introduces a yard's peers to each other.

It never imports the yard model and never sees a yard id, a secret or an offer
in clear: rooms are hashes and payloads are sealed by the clients.
"""
