"""The tether daemon: a Viam-compatible gRPC API (plus tether.v1) over the session layer."""
