"""`tether status`: live sessions, who owns what, and the last stops with their delays."""

from __future__ import annotations

import asyncio

from tether.wire.tether.v1 import control_pb2


async def fetch_status(
    address: str, timeout: float = 3.0, *, api_key: str | None = None, tls: str | None = None
) -> control_pb2.StatusResponse:
    """Ask the daemon at address for its status (with an API key and TLS if it needs them)."""
    from tether.client import connect_async

    async def ask() -> control_pb2.StatusResponse:
        async with await connect_async(address, api_key=api_key, tls=tls) as client:
            return await client.status()

    return await asyncio.wait_for(ask(), timeout)


def format_status(status: control_pb2.StatusResponse) -> str:
    """The report `tether status` prints."""
    guardian = (f"guardian pid {status.guardian_pid}" if status.guardian_pid
                else "no guardian (nothing stops the outputs if the daemon dies)")
    lines = [
        f"tether {status.version}, up {status.uptime_s:.1f} s; daemon pid {status.daemon_pid}, "
        f"{guardian}; resources: {', '.join(status.resources) or 'none'}",
        f"sessions ({len(status.sessions)}):",
    ]
    for s in status.sessions:
        owns = ", ".join(s.owns) or "nothing"
        lines.append(
            f"  {s.id}  owner={s.owner!r}  window {s.heartbeat_window_s:g} s  expires in "
            f"{s.expires_in_s:.2f} s  owns {owns}  connections {s.connections}"
        )
    lines.append(f"recent stops ({len(status.recent_stops)}):")
    for e in status.recent_stops:
        error = f"  error: {e.error}" if e.error else ""
        lines.append(
            f"  {e.resource} {e.outcome} ({e.reason})  delay {e.delay_ms:.2f} ms  "
            f"session {e.session_id[:8]}  {e.age_s:.1f} s ago{error}"
        )
    if status.ownership_changes:
        lines.append(f"ownership changes ({len(status.ownership_changes)}):")
    for c in status.ownership_changes:
        taker = f"session {c.session_id[:8]}" if c.session_id else "a call without a session"
        lines.append(
            f"  {c.resource} {c.reason}: session {c.previous_session[:8]} (key "
            f"{c.previous_owner!r}) lost it to {taker} (key {c.owner!r})  {c.age_s:.1f} s ago"
        )
    if status.guardian_actions:
        lines.append(f"guardian's last actions ({len(status.guardian_actions)}), "
                     f"{status.guardian_actions[0].age_s:.1f} s ago:")
    for a in status.guardian_actions:
        outcome = "safe" if a.ok else f"FAILED: {a.error}"
        lines.append(f"  {a.output} ({a.motor}) {outcome} after {a.delay_ms:.2f} ms")
    return "\n".join(lines)


def show_status(address: str, *, api_key: str | None = None, tls: str | None = None) -> str:
    """Fetch and format (blocking)."""
    return format_status(asyncio.run(fetch_status(address, api_key=api_key, tls=tls)))
