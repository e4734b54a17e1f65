"""The machine `tether doctor` looks at: every root (proc, boot, dev, sys), the environment, the
working directory, the user and the I2C opener are parameters, so tests run on faked trees."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class I2CBus(Protocol):
    """The part of smbus2.SMBus the doctor uses: one register read, then close."""

    def read_byte_data(self, i2c_addr: int, register: int) -> int: ...

    def close(self) -> None: ...


def open_smbus(path: str) -> I2CBus:
    """smbus2's SMBus on a device path, imported only when a chip is configured."""
    from smbus2 import SMBus

    bus: I2CBus = SMBus(path)
    return bus


@dataclass(frozen=True)
class Group:
    """A group of the system's group table: its id and the users listed in it."""

    gid: int
    members: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Identity:
    """Who runs the doctor: the process's own groups decide access, the group table names them."""

    name: str
    uid: int
    gids: frozenset[int]
    groups: Mapping[str, Group] = field(default_factory=dict)

    @classmethod
    def current(cls) -> Identity:
        """This process's user, its groups, and the system's group table."""
        import grp
        import pwd

        uid = os.getuid()
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        table = {g.gr_name: Group(g.gr_gid, frozenset(g.gr_mem)) for g in grp.getgrall()}
        return cls(name, uid, frozenset({os.getgid(), *os.getgroups()}), table)

    def group_name(self, gid: int) -> str:
        """The name of a group id (the number itself when the table has no such group)."""
        return next((n for n, g in self.groups.items() if g.gid == gid), str(gid))

    def can_use(self, path: Path, *, directory: bool = False) -> bool:
        """Whether this user may read and write a device (or create files in a directory), by
        its owner, group and mode bits as the kernel checks them (ACLs aside); root may."""
        if self.uid == 0:
            return True
        info = path.stat()
        if info.st_uid == self.uid:
            shift = 6
        elif info.st_gid in self.gids:
            shift = 3
        else:
            shift = 0
        needed = (stat.S_IWOTH | stat.S_IXOTH) if directory else (stat.S_IROTH | stat.S_IWOTH)
        return (info.st_mode >> shift) & needed == needed


_RP1_BOARDS = re.compile(r"Raspberry Pi (5|500|Compute Module 5)")


@dataclass(frozen=True)
class Machine:
    """Where every probe reads: `Machine()` is this machine; tests pass tmp dirs and fakes."""

    proc: Path = Path("/proc")
    boot: Path = Path("/boot")
    dev: Path = Path("/dev")
    sys: Path = Path("/sys")
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    user: Identity = field(default_factory=Identity.current)
    open_bus: Callable[[str], I2CBus] = open_smbus
    timeout: float = 1.0  # seconds for a network probe (pigpiod)

    def model(self) -> str | None:
        """The board's model from the device tree, or None on a machine without one."""
        for path in (self.proc / "device-tree" / "model",
                     self.sys / "firmware" / "devicetree" / "base" / "model"):
            try:
                return path.read_bytes().rstrip(b"\0").decode(errors="replace").strip()
            except OSError:
                continue
        return None

    def is_pi(self) -> bool:
        """True on a Raspberry Pi (its device tree says so)."""
        return "Raspberry Pi" in (self.model() or "")

    def has_rp1(self) -> bool:
        """True on a Pi whose header GPIO is on the RP1 chip (Pi 5, Pi 500, CM5)."""
        return bool(_RP1_BOARDS.search(self.model() or ""))

    def cmdline(self) -> list[str]:
        """The running kernel's command line, word by word (empty when unreadable)."""
        try:
            return (self.proc / "cmdline").read_text().split()
        except OSError:
            return []

    def boot_file(self, name: str) -> Path:
        """config.txt or cmdline.txt: /boot/firmware (Bookworm on) before /boot (older)."""
        for folder in (self.boot / "firmware", self.boot):
            if (folder / name).is_file():
                return folder / name
        return self.boot / "firmware" / name

    def access_fix(self, device: Path) -> str:
        """How this user gets a device: join the group that owns it."""
        group = self.user.group_name(device.stat().st_gid)
        return (f"sudo usermod -aG {group} {self.user.name}, then log out and in "
                f"({device} belongs to group {group})")

    def device(self, path: str) -> Path:
        """A device path from the config, under this machine's /dev root."""
        if path.startswith("/dev/"):
            return self.dev / path.removeprefix("/dev/")
        return Path(path)
