"""A fake RoboClaw: parses packet serial like the real one, answers, honours its serial timeout,
counts encoder edges from a wheel model and holds commanded speeds with its own velocity loop."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from tether.control.pid import PID, PidGains
from tether.fakes.encoded_wheel import EncodedWheel, FirstOrderWheel, TimedWheel
from tether.fakes.serial_device import DualChannelController
from tether.protocols import roboclaw as proto

#: The wheel model's integration step and the fake's velocity loop period (the fake's choices,
#: not the controller's).
MODEL_STEP = 0.001
LOOP_PERIOD = 0.01
#: The fake's velocity PID until a 28/29 sets one (not Basicmicro's factory setting): QPPS
#: matches FirstOrderWheel's no-load top speed, as Motion Studio's autotune would find it.
DEFAULT_VELOCITY_PID = proto.VelocityPid(p=4.0, i=20.0, d=0.0, qpps=3000)
_WRAP = 1 << 32


class SpeedLoop:
    """One channel's velocity loop as the fake runs it: duty = setpoint / QPPS plus a PID on
    the speed error as a fraction of QPPS, every LOOP_PERIOD; the setpoint ramps at the
    commanded acceleration (38/39) or jumps (35/36)."""

    def __init__(self, settings: proto.VelocityPid) -> None:
        self.active = False
        self.target = 0
        self.accel: int | None = None
        self.setpoint = 0.0
        self.configure(settings)

    def configure(self, settings: proto.VelocityPid) -> None:
        """New gains and QPPS (command 28/29)."""
        self.settings = settings
        self._pid = PID("roboclaw", PidGains(settings.p, settings.i, settings.d))

    def command(self, target: int, accel: int | None, speed_now: float) -> None:
        """Hold `target` counts/s from now; a loop taking over from open loop starts its ramp
        at the wheel's present speed."""
        if not self.active:
            self.setpoint = speed_now
            self._pid.reset()
        self.active, self.target, self.accel = True, target, accel

    def release(self) -> None:
        """Back to open loop (a duty command, or the serial timeout)."""
        self.active = False

    def tick(self, speed: float) -> float:
        """The duty for the next LOOP_PERIOD, given the measured speed."""
        step = math.inf if self.accel is None else self.accel * LOOP_PERIOD
        self.setpoint += max(-step, min(step, self.target - self.setpoint))
        top = self.settings.qpps
        if top <= 0:
            return 0.0  # the velocity PID does nothing until QPPS is set
        out = self._pid.update(self.setpoint / top, speed / top, LOOP_PERIOD,
                               feedforward=self.setpoint / top)
        return round(out * proto.MAX_DUTY) / proto.MAX_DUTY


class FakeRoboClaw(DualChannelController):
    """A dual-channel RoboClaw at one address; `channels[1]` and `[2]` feed the rover model.

    Each channel drives ``wheels[ch]`` (a FirstOrderWheel unless given; a TimedWheel, such as
    a rover's wheel, is asked for its speed at the model's time instead): its speed moves the
    encoder count ``encoders[ch]`` (unbounded; reported modulo 2^32), and the speed commands
    (35/36, 38/39) run ``loops[ch]`` against it. Time moves in ``advance()``, called on every
    packet and, on a pty, every LOOP_PERIOD while a wheel turns.

    Faults for tests: ``answer = False`` keeps acting on commands but sends nothing back (a broken
    RX wire), ``ack`` replaces the 0xFF acknowledgement, ``corrupt_crc`` spoils read replies;
    ``wheels[ch].load`` and ``.blocked`` load or block a wheel.
    """

    drive_commands = (proto.DRIVE_FORWARD, proto.DRIVE_BACKWARD, proto.DRIVE_7BIT)

    def __init__(
        self,
        address: int = 0x80,
        *,
        clock: Callable[[], float] = time.monotonic,
        pty: bool = True,
        wheels: dict[int, EncodedWheel | TimedWheel] | None = None,
    ) -> None:
        self.parser = proto.PacketParser()
        self.encoders = {1: 0, 2: 0}
        self.encoder_status = {1: 0, 2: 0}
        self.speeds = {1: 0.0, 2: 0.0}
        self.wheels: dict[int, EncodedWheel | TimedWheel] = wheels or {
            1: FirstOrderWheel(), 2: FirstOrderWheel()
        }
        self.velocity_pid = {1: DEFAULT_VELOCITY_PID, 2: DEFAULT_VELOCITY_PID}
        self.loops = {1: SpeedLoop(DEFAULT_VELOCITY_PID), 2: SpeedLoop(DEFAULT_VELOCITY_PID)}
        self._fraction = {1: 0.0, 2: 0.0}
        self._model_time = clock()
        self._next_tick = self._model_time
        self.battery_tenths = 120
        self.version_text = "USB Roboclaw 2x7a v4.1.34"
        self.answer = True
        self.ack = proto.ACK
        self.corrupt_crc = False
        super().__init__(address, clock=clock, pty=pty)

    # -- the motor model ------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Run the wheels, encoders and speed loops up to `now` (default: the clock), applying
        the serial timeout at its own instant on the way."""
        with self._lock:
            until = self.clock() if now is None else now
            self._expire(until)
            self._run(until)

    def check_timeout(self) -> None:
        """Bring the model up to the clock; that applies the serial timeout too."""
        self.advance()

    def seconds_until_wake(self) -> float | None:
        """While a wheel turns or a loop holds a speed, wake every LOOP_PERIOD to run them."""
        wait = self.seconds_until_timeout()
        if self._idle():
            return wait
        return LOOP_PERIOD if wait is None else min(wait, LOOP_PERIOD)

    def _idle(self) -> bool:
        return not any(loop.active for loop in self.loops.values()) and all(
            self.channels[ch].duty == 0.0 and abs(self.speeds[ch]) < 1e-3 for ch in (1, 2)
        )

    def _run(self, until: float) -> None:
        now = self._model_time
        if until <= now:
            return
        if self._idle():
            self._model_time = self._next_tick = until
            return
        while now < until:
            if now >= self._next_tick:
                self._tick_loops(now)
            dt = min(MODEL_STEP, until - now)
            for ch in (1, 2):
                wheel = self.wheels[ch]
                if isinstance(wheel, TimedWheel):
                    self.speeds[ch] = wheel.speed_at(now + dt)
                else:
                    self.speeds[ch] = wheel.step(self.channels[ch].duty, dt)
                self._count(ch, self.speeds[ch] * dt)
            now += dt
        self._model_time = until

    def _tick_loops(self, now: float) -> None:
        for ch, loop in self.loops.items():
            if loop.active:
                self.channels[ch].set_duty(now, loop.tick(self.speeds[ch]))
        self._next_tick = now + LOOP_PERIOD

    def _count(self, channel: int, counts: float) -> None:
        """Move the encoder count, flagging a pass through the u32 counter's ends."""
        total = self.encoders[channel] + self._fraction[channel] + counts
        whole = math.floor(total)
        before, after = self.encoders[channel] // _WRAP, whole // _WRAP
        if after < before:
            self.encoder_status[channel] |= proto.ENCODER_UNDERFLOW
        elif after > before:
            self.encoder_status[channel] |= proto.ENCODER_OVERFLOW
        self.encoders[channel], self._fraction[channel] = whole, total - whole

    # -- packets --------------------------------------------------------------------------

    def on_bytes(self, data: bytes, now: float) -> None:
        self.advance(now)
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
        self._release_open_loop(command)
        if self._drive(command, payload, now) or self._closed_loop(command, payload, now):
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
            self._fraction = {1: 0.0, 2: 0.0}

    def _release_open_loop(self, command: int) -> None:
        """A duty or drive command takes its channel out of the speed loop."""
        for channel in (1, 2):
            open_loop = (proto.DRIVE_FORWARD, proto.DRIVE_BACKWARD, proto.DRIVE_7BIT, proto.DUTY)
            if command == proto.MIXED_DUTY or command in (c[channel] for c in open_loop):
                self.loops[channel].release()

    def _closed_loop(self, command: int, payload: bytes, now: float) -> bool:
        """Apply a speed or velocity PID command; False if `command` is not one."""
        for channel in (1, 2):
            loop = self.loops[channel]
            if command == proto.SPEED[channel]:
                loop.command(int.from_bytes(payload, "big", signed=True), None,
                             self.speeds[channel])
            elif command == proto.SPEED_ACCEL[channel]:
                accel = int.from_bytes(payload[:4], "big")
                loop.command(int.from_bytes(payload[4:], "big", signed=True), accel,
                             self.speeds[channel])
            elif command == proto.SET_VELOCITY_PID[channel]:
                self.velocity_pid[channel] = proto.decode_set_velocity_pid(payload)
                loop.configure(self.velocity_pid[channel])
                return True
            else:
                continue
            self._tick_loops(now)
            return True
        return False

    def _set(self, channel: int, now: float, value: int) -> None:
        self.channels[channel].set_duty(now, max(-1.0, value / proto.MAX_DUTY))

    def _time_out(self, when: float) -> None:
        """The serial timeout stops both channels, speed loops included, at `when`."""
        self._run(when)
        for loop in self.loops.values():
            loop.release()
        super()._time_out(when)

    def _timeout_after(self) -> float | None:
        holding = any(loop.active and loop.target != 0 for loop in self.loops.values())
        if self.timeout > 0 and holding:
            return self.timeout
        return super()._timeout_after()

    # -- reads ----------------------------------------------------------------------------

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
        for channel in (1, 2):
            if command == proto.READ_SPEED[channel]:
                return proto.speed_data(round(self.speeds[channel]))
            if command == proto.READ_VELOCITY_PID[channel]:
                return proto.velocity_pid_data(self.velocity_pid[channel])
        channel = 1 if command == proto.READ_ENCODER[1] else 2
        return self._encoder_data(channel)

    def _encoder_data(self, channel: int) -> bytes:
        """Count (u32) and status; the underflow and overflow flags clear once read."""
        status = self.encoder_status[channel]
        if self.speeds[channel] < 0:
            status |= proto.ENCODER_BACKWARD
        self.encoder_status[channel] &= ~(proto.ENCODER_UNDERFLOW | proto.ENCODER_OVERFLOW)
        count = self.encoders[channel] % _WRAP
        return count.to_bytes(4, "big") + bytes((status,))
