"""Logs with a request id, Prometheus metrics, and the middleware that ties them to requests."""
