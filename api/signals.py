"""Receivers the api app connects to the apps below (filled by the webhooks)."""
