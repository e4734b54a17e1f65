"""Fake pigpiod throughput over loopback, through the real pigpio library, against baselines
measured in the same run: a bare TCP echo of 16 bytes (thread per socket, as the fake serves)
and a bare loopback stream of 12-byte reports unpacked in Python (no fake, no pigpio.py).

Everything runs in this one process (the fake's threads and the clients share the GIL), so the
ratios compare like with like.

Run: python bench/pigpiod_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pigpio
from figures import per_call
from gpiozero.pins.pigpio import PiGPIOFactory

from tether.drivers.gpio import GpioMotor
from tether.fakes.hbridge import L298N
from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pigpiod import protocol as pp
from tether.fakes.pins import FakePinFactory

WATCHED = 17  # an input pulled down at reset


class EchoServer:
    """The floor for a request/reply over loopback: 16 bytes in, the same 16 bytes out."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._echo, args=(sock,), daemon=True).start()

    @staticmethod
    def _echo(sock: socket.socket) -> None:
        with sock:
            while data := sock.recv(16):
                sock.sendall(data)

    def close(self) -> None:
        self.listener.close()


def round_trips(loops: int) -> tuple[float, float]:
    """Seconds per pigpio.pi set_PWM_dutycycle round trip, and per bare 16-byte echo."""
    echo = EchoServer()
    client = socket.create_connection(("127.0.0.1", echo.port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = struct.pack("<IIII", pp.Command.PWM, 12, 100, 0)

    def bare() -> None:
        client.sendall(message)
        client.recv(16)

    with FakePigpiod() as daemon:
        pi = pigpio.pi(daemon.host, daemon.port)
        flip = [0]

        def fake() -> None:
            flip[0] ^= 1
            pi.set_PWM_dutycycle(12, 100 + flip[0])

        result = per_call(fake, loops), per_call(bare, loops)
        pi.stop()
    client.close()
    echo.close()
    return result


def _wait_for(count: Callable[[], int], target: int, timeout: float) -> None:
    """Wait until count() reaches target, or the timeout passes."""
    deadline = time.perf_counter() + timeout
    while count() < target and time.perf_counter() < deadline:
        time.sleep(0.0005)


def _burst(daemon: FakePigpiod, edges: int, count: Callable[[], int]) -> tuple[float, int]:
    """Inject `edges` level changes 1 µs apart on the clock; (edges/s counted, edges lost)."""
    start = daemon.pins.clock()
    steps = [(start + k * 1e-6, k % 2) for k in range(1, edges + 1)]
    began = time.perf_counter()
    daemon.drive_edges(WATCHED, steps)
    _wait_for(count, edges, 60)
    return count() / (time.perf_counter() - began), edges - count()


def _counting_client(daemon: FakePigpiod) -> tuple[Any, list[int]]:
    """A real pigpio client counting every edge of WATCHED (the count is received[0])."""
    pi = pigpio.pi(daemon.host, daemon.port)
    received = [0]

    def count(_gpio: int, _level: int, _tick: int) -> None:
        received[0] += 1

    pi.callback(WATCHED, pigpio.EITHER_EDGE, count)
    return pi, received


def edge_rate(edges: int) -> tuple[float, int]:
    """(edges/s, edges lost) for a burst injected on the fake and counted by a pi.callback."""
    with FakePigpiod() as daemon:
        pi, received = _counting_client(daemon)
        result = _burst(daemon, edges, lambda: received[0])
        pi.stop()
    return result


def report_stream(reports: int) -> float:
    """Reports/s of a bare loopback stream of the same 12-byte reports, unpacked in Python."""
    listener = socket.create_server(("127.0.0.1", 0))
    sender = socket.create_connection(listener.getsockname())
    reader, _ = listener.accept()
    payload = b"".join(pp.REPORT.pack(k & 0xFFFF, 0, k, k & 1) for k in range(reports))
    unpacked = [0]

    def read() -> None:
        pending = b""
        while unpacked[0] < reports and (chunk := reader.recv(65536)):
            pending += chunk
            whole = len(pending) - len(pending) % 12
            for _report in struct.iter_unpack("<HHII", pending[:whole]):
                unpacked[0] += 1
            pending = pending[whole:]

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    began = time.perf_counter()
    sender.sendall(payload)
    thread.join(60)
    rate = unpacked[0] / (time.perf_counter() - began)
    for sock in (sender, reader, listener):
        sock.close()
    return rate


def square_wave(seconds: float) -> tuple[int, int]:
    """(edges generated, edges a pi.callback received) for a 2 kHz wave in real time."""
    with FakePigpiod() as daemon:
        pi, received = _counting_client(daemon)
        wave = daemon.square_wave(WATCHED, 2000, seconds)
        wave.join(seconds * 10 + 10)
        _wait_for(lambda: received[0], wave.sent, 10)
        pi.stop()
        return wave.sent, received[0]


def motor_writes(loops: int) -> tuple[float, float]:
    """Seconds per GpioMotor.set_power through PiGPIOFactory on the fake, and on mock pins."""
    with FakePigpiod() as daemon:
        L298N(daemon.pins, 5, 6, 12)
        factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
        motor = GpioMotor("m", pin_factory=factory, in1=5, in2=6, pwm=12)
        powers, flip = (0.5, 0.4), [0]

        def fake() -> None:
            flip[0] ^= 1
            motor.set_power(powers[flip[0]])

        over_pigpio = per_call(fake, loops)
        motor.close()
        factory.close()
    pins = FakePinFactory()
    mock = GpioMotor("m", pin_factory=pins, in1=5, in2=6, pwm=12)

    def on_mock() -> None:
        flip[0] ^= 1
        mock.set_power(powers[flip[0]])

    on_mock_pins = per_call(on_mock, loops)
    mock.close()
    return over_pigpio, on_mock_pins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    print(f"fake pigpiod bench ({'quick' if args.quick else 'full'}): python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, all traffic on 127.0.0.1")
    fake, bare = round_trips(1_000 if args.quick else 10_000)
    print(f"1. commands through pigpio.pi (set_PWM_dutycycle round trips): {1 / fake:,.0f}/s "
          f"({fake * 1e6:.1f} us each); baseline bare 16-byte TCP echo {1 / bare:,.0f}/s "
          f"({bare * 1e6:.1f} us); ratio {fake / bare:.2f}x")
    edges = 20_000 if args.quick else 200_000
    rate, lost = edge_rate(edges)
    stream = report_stream(edges)
    print(f"2. notification edges, a burst injected on the fake, through pi.callback: "
          f"{rate:,.0f} edges/s, {lost} lost; baseline bare loopback stream of the same 12-byte "
          f"reports unpacked in Python {stream:,.0f}/s; ratio {stream / rate:.1f}x")
    seconds = 1.0 if args.quick else 5.0
    sent, received = square_wave(seconds)
    print(f"3. 2 kHz square wave for {seconds:.0f} s in real time: {sent} edges sent, "
          f"{received} received by pi.callback, {sent - received} lost")
    over, mock = motor_writes(300 if args.quick else 3_000)
    print(f"4. GpioMotor.set_power through PiGPIOFactory on the fake: {over * 1e6:.0f} us; "
          f"baseline on FakePinFactory (mock pins) {mock * 1e6:.0f} us; ratio {over / mock:.1f}x")


if __name__ == "__main__":
    main()
