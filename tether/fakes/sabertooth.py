"""A fake Sabertooth: parses packetized serial like the real one, honours its serial timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from tether.fakes.channel import DutyChannel
from tether.fakes.serial_device import PtySerialDevice
from tether.protocols import sabertooth as proto


class FakeSabertooth(PtySerialDevice):
    """A dual-channel Sabertooth at one address; `channels[1]` and `[2]` feed the rover model."""

    def __init__(
        self, address: int = 128, *, clock: Callable[[], float] = time.monotonic, pty: bool = True
    ) -> None:
        self.address = address
        self.parser = proto.PacketParser()
        self.channels = {1: DutyChannel(clock()), 2: DutyChannel(clock())}
        self.timeout = 0.0
        self.last_command = clock()
        self.timeouts = 0
        self.baud_writes: list[int] = []
        self.settings: dict[int, int] = {}
        super().__init__(clock=clock, pty=pty)

    def on_bytes(self, data: bytes, now: float) -> None:
        for packet in self.parser.feed(data):
            if packet.address == self.address:
                self._execute(packet, now)

    def _execute(self, packet: proto.Packet, now: float) -> None:
        command, value = packet.command, packet.data
        self.last_command = now
        for channel in (1, 2):
            if command == proto.DRIVE_FORWARD[channel]:
                self.channels[channel].set_duty(now, value / 127)
            elif command == proto.DRIVE_BACKWARD[channel]:
                self.channels[channel].set_duty(now, -value / 127)
            elif command == proto.DRIVE_7BIT[channel]:
                self.channels[channel].set_duty(now, max(-1.0, (value - 64) / 63))
        if command == proto.SERIAL_TIMEOUT:
            self.timeout = value / 10
        elif command == proto.BAUD_RATE:
            self.baud_writes.append(value)
        elif command not in (*proto.DRIVE_FORWARD.values(), *proto.DRIVE_BACKWARD.values(),
                             *proto.DRIVE_7BIT.values()):
            self.settings[command] = value

    def check_timeout(self) -> None:
        """Both channels stop when no valid command came within the serial timeout."""
        now = self.clock()
        if self.timeout > 0 and now - self.last_command >= self.timeout:
            if any(c.duty != 0.0 for c in self.channels.values()):
                self.timeouts += 1
            for channel in self.channels.values():
                channel.set_duty(self.last_command + self.timeout, 0.0)

    def seconds_until_timeout(self) -> float | None:
        if self.timeout <= 0 or all(c.duty == 0.0 for c in self.channels.values()):
            return None
        return max(0.0, self.last_command + self.timeout - self.clock())
