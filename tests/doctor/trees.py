"""Faked machine trees for the doctor: a Pi's /proc, /boot, /dev and /sys in a tmp dir."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tether.doctor import Group, Identity, Machine
from tether.doctor.machine import I2CBus

PI4 = "Raspberry Pi 4 Model B Rev 1.5"
PI5 = "Raspberry Pi 5 Model B Rev 1.0"

#: A normal user: uid 1000, in the groups its tests give it; the files the tests make belong to
#: root (uid 0) and group 0, so group 0 stands for the device's group (named after the device).
PI_USER = 1000


def user(*, in_device_group: bool = True, groups: Mapping[str, Group] | None = None,
         uid: int = PI_USER) -> Identity:
    """The user `pi`; `in_device_group` puts it in group 0, which owns every faked file."""
    table = dict(groups) if groups is not None else {"gpio": Group(0, frozenset({"pi"}))}
    gids = {PI_USER} | ({0} if in_device_group else set())
    return Identity("pi", uid, frozenset(gids), table)


@dataclass
class Tree:
    """A faked machine rooted in a tmp dir; `machine()` hands the doctor its roots."""

    root: Path
    environ: dict[str, str] = field(default_factory=dict)
    identity: Identity = field(default_factory=user)
    open_bus: Callable[[str], I2CBus] | None = None

    def __post_init__(self) -> None:
        for name in ("proc", "boot", "dev", "sys", "work"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str | bytes, mode: int = 0o660) -> Path:
        """A file under the root (parents made), with the given mode."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        path.chmod(mode)
        return path

    def model(self, model: str, *, via_sys: bool = False) -> None:
        """The device tree's model string (NUL-terminated, as the kernel exposes it)."""
        where = "sys/firmware/devicetree/base/model" if via_sys else "proc/device-tree/model"
        self.write(where, model.encode() + b"\0", 0o444)

    def cmdline(self, text: str) -> None:
        """/proc/cmdline."""
        self.write("proc/cmdline", text + "\n", 0o444)

    def parameter(self, module: str, name: str, value: str) -> None:
        """A kernel module parameter as /sys/module shows it ("Y" / "N")."""
        self.write(f"sys/module/{module}/parameters/{name}", value + "\n", 0o444)

    def config_txt(self, text: str, *, folder: str = "boot/firmware") -> Path:
        """config.txt in /boot/firmware (Bookworm) or /boot (older)."""
        return self.write(f"{folder}/config.txt", text, 0o755)

    def device(self, name: str, mode: int = 0o660) -> Path:
        """A device file under /dev (a plain file stands for the character device)."""
        return self.write(f"dev/{name}", "", mode)

    def machine(self, **changes: object) -> Machine:
        """The doctor's view of this tree."""
        options: dict[str, object] = {
            "proc": self.root / "proc", "boot": self.root / "boot", "dev": self.root / "dev",
            "sys": self.root / "sys", "environ": self.environ, "cwd": self.root / "work",
            "user": self.identity, "timeout": 2.0,
        }
        if self.open_bus is not None:
            options["open_bus"] = self.open_bus
        options.update(changes)
        return Machine(**options)  # type: ignore[arg-type]
