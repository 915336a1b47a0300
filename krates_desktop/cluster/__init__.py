"""Cluster access over the official kubernetes client: kubeconfig, caches, streams."""
