"""Clients of the tether daemon."""
