"""The browser drive page: one WebSocket per tab, one session per socket (needs tether[web])."""
