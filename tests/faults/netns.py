"""Two network namespaces joined by a veth pair, made and destroyed by a test.

The daemon runs in one, the client in the other; addresses come from a private /30 that exists
only inside these namespaces. Setting the link down makes packets vanish (no FIN, no RST): a
partition, as when a rover drives out of Wi-Fi range. Names carry a random suffix, and
everything is deleted afterwards, also when the test fails.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=10)


@functools.cache
def unavailable() -> str | None:
    """Why namespaces can't be used here (None when they can): root, `ip`, `ip netns add`."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces and veth pairs"
    if shutil.which("ip") is None:
        return "needs the `ip` command (iproute2)"
    probe = f"tfprobe-{secrets.token_hex(3)}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


@dataclass(frozen=True)
class NetPair:
    """Namespace `daemon_ns` (address daemon_ip) <-veth-> namespace `client_ns` (client_ip)."""

    daemon_ns: str
    client_ns: str
    daemon_if: str
    client_if: str
    daemon_ip: str
    client_ip: str

    def prefix(self, namespace: str) -> list[str]:
        """argv prefix that runs a command inside a namespace."""
        return ["ip", "netns", "exec", namespace]

    def set_link(self, up: bool) -> None:
        """Both ends of the veth up or down: down, packets vanish without FIN or RST."""
        state = "up" if up else "down"
        _ip("-n", self.client_ns, "link", "set", "dev", self.client_if, state)
        _ip("-n", self.daemon_ns, "link", "set", "dev", self.daemon_if, state)

    def pids(self) -> list[int]:
        """Processes still inside either namespace (only ever ones this test started)."""
        found: list[int] = []
        for namespace in (self.daemon_ns, self.client_ns):
            listed = _ip("netns", "pids", namespace, check=False).stdout.split()
            found += [int(p) for p in listed if p.isdigit()]
        return found


@contextlib.contextmanager
def net_pair() -> Iterator[NetPair]:
    """Create the namespaces, the veth pair and a /30; delete them all on the way out."""
    tag = secrets.token_hex(3)
    subnet = 1 + secrets.randbelow(250)
    pair = NetPair(
        daemon_ns=f"tfd-{tag}", client_ns=f"tfc-{tag}", daemon_if=f"tfvd{tag}",
        client_if=f"tfvc{tag}", daemon_ip=f"10.77.{subnet}.1", client_ip=f"10.77.{subnet}.2",
    )
    try:
        _ip("netns", "add", pair.daemon_ns)
        _ip("netns", "add", pair.client_ns)
        _ip("link", "add", pair.daemon_if, "type", "veth", "peer", "name", pair.client_if)
        _ip("link", "set", pair.daemon_if, "netns", pair.daemon_ns)
        _ip("link", "set", pair.client_if, "netns", pair.client_ns)
        for namespace, device, address in (
            (pair.daemon_ns, pair.daemon_if, pair.daemon_ip),
            (pair.client_ns, pair.client_if, pair.client_ip),
        ):
            _ip("-n", namespace, "addr", "add", f"{address}/30", "dev", device)
            _ip("-n", namespace, "link", "set", "dev", "lo", "up")
            _ip("-n", namespace, "link", "set", "dev", device, "up")
        yield pair
    finally:
        for pid in pair.pids():  # normally none: the test reaped its processes already
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _ip("link", "del", pair.daemon_if, check=False)  # if never moved into its namespace
        _ip("-n", pair.daemon_ns, "link", "del", pair.daemon_if, check=False)
        _ip("netns", "del", pair.daemon_ns, check=False)
        _ip("netns", "del", pair.client_ns, check=False)
