"""The sandbox: an embedded Kubernetes API server on loopback for demos and tests."""
