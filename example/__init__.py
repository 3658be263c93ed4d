"""The example app: two protected functions (an HTTP API handler and a queue worker)."""
