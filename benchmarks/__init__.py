"""Benchmarks of rooms-lti: scripts that measure the tool against its targets (see README.md)."""
