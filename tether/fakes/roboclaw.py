"""A fake RoboClaw: parses packet serial like the real one, answers, honours its serial timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from tether.fakes.serial_device import DualChannelController
from tether.protocols import roboclaw as proto


class FakeRoboClaw(DualChannelController):
    """A dual-channel RoboClaw at one address; `channels[1]` and `[2]` feed the rover model.

    Faults for tests: ``answer = False`` keeps acting on commands but sends nothing back (a broken
    RX wire), ``ack`` replaces the 0xFF acknowledgement, ``corrupt_crc`` spoils read replies.
    """

    drive_commands = (proto.DRIVE_FORWARD, proto.DRIVE_BACKWARD, proto.DRIVE_7BIT)

    def __init__(
        self, address: int = 0x80, *, clock: Callable[[], float] = time.monotonic, pty: bool = True
    ) -> None:
        self.parser = proto.PacketParser()
        self.encoders = {1: 0, 2: 0}
        self.encoder_status = {1: 0, 2: 0}
        self.battery_tenths = 120
        self.version_text = "USB Roboclaw 2x7a v4.1.34"
        self.answer = True
        self.ack = proto.ACK
        self.corrupt_crc = False
        super().__init__(address, clock=clock, pty=pty)

    def on_bytes(self, data: bytes, now: float) -> None:
        for packet in self.parser.feed(data, now):
            if packet.address == self.address:
                self._execute(packet, now)

    def _execute(self, packet: proto.Packet, now: float) -> None:
        self.last_command = now
        if packet.command in proto.READS:
            self._answer_read(packet.command)
            return
        self._apply(packet.command, packet.payload, now)
        if self.answer:
            self.send(bytes((self.ack,)))

    def _apply(self, command: int, payload: bytes, now: float) -> None:
        if self._drive(command, payload, now):
            return
        for channel in (1, 2):
            if command == proto.DUTY[channel]:
                self._set(channel, now, int.from_bytes(payload, "big", signed=True))
        if command == proto.MIXED_DUTY:
            self._set(1, now, int.from_bytes(payload[:2], "big", signed=True))
            self._set(2, now, int.from_bytes(payload[2:], "big", signed=True))
        elif command == proto.SET_SERIAL_TIMEOUT:
            self.timeout = payload[0] / 10
        elif command == proto.RESET_ENCODERS:
            self.encoders = {1: 0, 2: 0}

    def _set(self, channel: int, now: float, value: int) -> None:
        self.channels[channel].set_duty(now, max(-1.0, value / proto.MAX_DUTY))

    def _answer_read(self, command: int) -> None:
        if not self.answer:
            return
        data = self._read_data(command)
        reply = bytearray(proto.reply(self.address, command, data))
        if self.corrupt_crc:
            reply[-1] ^= 0x01
        self.send(bytes(reply))

    def _read_data(self, command: int) -> bytes:
        if command == proto.READ_SERIAL_TIMEOUT:
            return bytes((round(self.timeout * 10),))
        if command == proto.READ_MAIN_BATTERY:
            return self.battery_tenths.to_bytes(2, "big")
        if command == proto.READ_VERSION:
            return proto.version_data(self.version_text)
        channel = 1 if command == proto.READ_ENCODER[1] else 2
        count = self.encoders[channel] & 0xFFFF_FFFF
        return count.to_bytes(4, "big") + bytes((self.encoder_status[channel],))
