"""Benchmark of the portal against a minimal Django page (see bench/README.md)."""
