"""tether's own client: `connect()` (blocking) and `connect_async()` (asyncio).

    from tether.client import connect
    with connect("127.0.0.1:8080") as rover, rover.session(heartbeat_window=0.5) as session:
        base = rover.base("base")
        base.set_power(0.5, 0.0)      # every command is also a heartbeat
        session.heartbeat()           # so is this; leaving the block stops the rover
"""

from tether.client.aio import AsyncClient, AsyncSession, AuthError, connect_async
from tether.client.proxies import AsyncBase, AsyncMotor
from tether.client.sync import Base, Client, Motor, Session, connect

__all__ = [
    "AsyncBase",
    "AsyncClient",
    "AsyncMotor",
    "AsyncSession",
    "AuthError",
    "Base",
    "Client",
    "Motor",
    "Session",
    "connect",
    "connect_async",
]
