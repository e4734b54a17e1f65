"""Sabertooth / SyRen motor drivers in packetized serial mode (one channel per Motor)."""

from __future__ import annotations

from typing import Unpack

from tether.drivers.serial.motor import SerialMotor, SerialOptions, check_channel_address
from tether.errors import InvalidCommand
from tether.protocols import sabertooth as proto


class SabertoothMotor(SerialMotor):
    """One channel (1 or 2) of a Sabertooth at `address` (128-135, set by its DIP switches).

    At start-up the controller's serial timeout is set (it is not persisted, so it is set again
    whenever the port comes back). The persistent baud rate is written only if ``set_baud`` is
    given; ``autobaud=True`` sends 0xAA first, for models that detect the baud rate.
    """

    longest_timeout = proto.MAX_TIMEOUT_SECONDS

    def __init__(
        self,
        name: str,
        *,
        address: int = 128,
        channel: int = 1,
        autobaud: bool = False,
        set_baud: int | None = None,
        **options: Unpack[SerialOptions],
    ) -> None:
        check_channel_address(name, address, channel, proto.ADDRESSES, "128-135")
        if set_baud is not None and set_baud not in proto.BAUD_CODES:
            raise InvalidCommand(
                f"motor {name!r} set_baud={set_baud!r}: expected one of {sorted(proto.BAUD_CODES)}"
            )
        self.address = address
        self.channel = channel
        self.autobaud = autobaud
        self.set_baud = set_baud
        super().__init__(name, **options)

    def _configure(self) -> None:
        where = f"sabertooth {self.address} ({self.name!r})"
        if self.autobaud:
            self.link.write(bytes((proto.AUTOBAUD,)), f"{where} autobaud")
        if self.set_baud is not None:
            self.link.write(proto.baud_rate(self.address, self.set_baud), f"{where} set baud")
            self.set_baud = None
        self.link.write(
            proto.serial_timeout(self.address, self.controller_timeout),
            f"{where} set serial timeout",
        )

    def _send_duty(self, duty: float) -> None:
        self.link.write(
            proto.drive(self.address, self.channel, duty),
            f"sabertooth {self.address} ({self.name!r}) drive channel {self.channel}",
        )

    def _send_stop(self) -> None:
        self.link.write(
            proto.drive(self.address, self.channel, 0.0),
            f"sabertooth {self.address} ({self.name!r}) stop channel {self.channel}",
        )
