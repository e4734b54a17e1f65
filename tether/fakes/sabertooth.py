"""A fake Sabertooth: parses packetized serial like the real one, honours its serial timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from tether.fakes.serial_device import DualChannelController
from tether.protocols import sabertooth as proto


class FakeSabertooth(DualChannelController):
    """A dual-channel Sabertooth at one address; `channels[1]` and `[2]` feed the rover model."""

    drive_commands = (proto.DRIVE_FORWARD, proto.DRIVE_BACKWARD, proto.DRIVE_7BIT)

    def __init__(
        self, address: int = 128, *, clock: Callable[[], float] = time.monotonic, pty: bool = True
    ) -> None:
        self.parser = proto.PacketParser()
        self.baud_writes: list[int] = []
        self.settings: dict[int, int] = {}
        super().__init__(address, clock=clock, pty=pty)

    def on_bytes(self, data: bytes, now: float) -> None:
        for packet in self.parser.feed(data):
            if packet.address == self.address:
                self._execute(packet, now)

    def _execute(self, packet: proto.Packet, now: float) -> None:
        command, value = packet.command, packet.data
        self.last_command = now
        if self._drive(command, bytes((value,)), now):
            return
        if command == proto.SERIAL_TIMEOUT:
            self.timeout = value / 10
        elif command == proto.BAUD_RATE:
            self.baud_writes.append(value)
        else:
            self.settings[command] = value
