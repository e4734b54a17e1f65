"""The simulated-hardware process: started for a config, reached only through its seams and its
inspection socket, and alive exactly as long as someone drives or reads it."""

from __future__ import annotations

import errno
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rovers import GPIO_ROVER
from tether.config import parse_config
from tether.demo_configs import demo_config
from tether.errors import HardwareError
from tether.server.background import BackgroundDaemon
from tether.sim.addresses import SimAddresses
from tether.sim.client import SimClient
from tether.sim.i2c import SimSMBus
from tether.sim.process import SimProcess


@pytest.fixture
def hat_hardware() -> Iterator[SimProcess]:
    """The Adafruit HAT demo rover's simulated hardware, ended afterwards."""
    hardware = SimProcess.start(demo_config("adafruit-hat"))
    yield hardware
    hardware.end()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_ready_line_names_every_seam_and_survives_a_path_with_a_space() -> None:
    addresses = SimAddresses(42, "unix:/tmp/a b/inspect.sock", "127.0.0.1:8888",
                             "unix:/tmp/a b/i2c.sock", {"saber": "/tmp/pty x/tty"})
    line = addresses.line()
    assert line.startswith("tether sim: pid=42 inspect=") and "\n" not in line
    assert SimAddresses.parse(line) == addresses
    with pytest.raises(ValueError, match="expected pid=N and inspect=ADDRESS"):
        SimAddresses.parse("tether sim: pigpio=127.0.0.1:1")


def test_the_hardware_outlives_its_owner_while_someone_reads_it(
    hat_hardware: SimProcess,
) -> None:
    """As real hardware outlives tether: once the daemon has gone, the process stays while a
    reader is connected, and ends by itself when the last one hangs up."""
    reader = SimClient(hat_hardware.addresses.inspect)
    hat_hardware.leave()  # the daemon is gone (it closed the pipe it held)
    assert not hat_hardware.wait(0.5), "it ended under a reader's feet"
    assert reader.duties() == {"left": 0.0, "right": 0.0}
    reader.close()
    assert hat_hardware.wait(5.0), "it outlived its last reader"
    assert hat_hardware.process is not None and hat_hardware.process.returncode == 0


def test_without_a_reader_the_hardware_ends_with_its_owner(hat_hardware: SimProcess) -> None:
    began = time.monotonic()
    hat_hardware.leave()
    assert hat_hardware.wait(5.0)
    assert time.monotonic() - began < 2.0


def test_the_i2c_bus_carries_nacks_and_closes_as_an_smbus_does(
    hat_hardware: SimProcess,
) -> None:
    """Each transfer lands before the call returns; a NACKing chip is the same EREMOTEIO as on a
    real bus; a closed bus refuses; another process (the test) flips the chip's switch."""
    assert hat_hardware.addresses.i2c is not None
    bus = SimSMBus(hat_hardware.addresses.i2c, 1)
    try:
        assert bus.read_byte_data(0x60, 0x00) == 0x11  # MODE1 at power-on
        bus.write_byte_data(0x60, 0x00, 0x20)  # awake, auto-increment
        bus.write_i2c_block_data(0x60, 0x06, [0, 0, 0, 0x08])  # channel 0 half on
        assert bus.read_i2c_block_data(0x60, 0x06, 4) == [0, 0, 0, 0x08]
        hat_hardware.client.buses["1"].nack_next(0x60, 1)
        with pytest.raises(OSError) as nack:
            bus.read_byte_data(0x60, 0x00)
        assert nack.value.errno == errno.EREMOTEIO and "no ACK from 0x60" in str(nack.value)
        with pytest.raises(OSError) as absent:
            bus.read_byte_data(0x41, 0x00)
        assert absent.value.errno == errno.EREMOTEIO
        with pytest.raises(ValueError, match="at most 32"):
            bus.write_i2c_block_data(0x60, 0x06, [0] * 33)
    finally:
        bus.close()
    with pytest.raises(OSError) as closed:
        bus.read_byte_data(0x60, 0x00)
    assert closed.value.errno == errno.EBADF


def test_inspection_errors_name_what_there_is(hat_hardware: SimProcess) -> None:
    client = hat_hardware.client
    with pytest.raises(KeyError, match="motor output 'middle': expected one of left, right"):
        client.call("history", name="middle")
    with pytest.raises(KeyError, match="serial port 'saber': expected one of none"):
        client.call("unplug", port="saber")
    with pytest.raises(ValueError, match="expected a JSON object with an op of"):
        client.call("teleport")


def test_a_fixed_pigpio_address_is_where_any_pigpio_client_reads_the_pins() -> None:
    """[sim] pigpio = HOST:PORT: the daemon drives through it, and the real pigpio library,
    from anywhere, reads the PWM the L298N's ENA pin is left with."""
    import pigpio

    port = free_port()
    config = parse_config({"sim": {"pigpio": f"127.0.0.1:{port}"},
                           **_toml(GPIO_ROVER)}, "rover.toml")
    daemon = BackgroundDaemon(config, listen="127.0.0.1:0")
    try:
        assert daemon.daemon.hardware is not None
        assert daemon.daemon.hardware.addresses.pigpio == f"127.0.0.1:{port}"
        daemon.robot.bases["base"].set_power(0.6, 0.0)
        pi = pigpio.pi("127.0.0.1", port)
        try:
            assert (pi.get_PWM_dutycycle(12), pi.get_PWM_range(12)) == (6000, 10000)
            assert (pi.read(5), pi.read(6)) == (1, 0)
        finally:
            pi.stop()  # before the fake pigpiod goes (pigpio.py spins on a closed socket)
    finally:
        daemon.close()


def test_a_config_naming_lgpio_runs_on_the_fake_pigpiod_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tether.sim")
    daemon = BackgroundDaemon(demo_config("gpio"), listen="127.0.0.1:0")
    try:
        said = [r.getMessage() for r in caplog.records if r.name == "tether.sim"]
        assert daemon.daemon.config.pin_factory == "lgpio"
        assert len(said) == 1 and "'lgpio'" in said[0] and "fake pigpiod" in said[0], said
        assert daemon.sim.pin(12)["mode"] == 1, "the driver set the fake pigpiod's pin up"
    finally:
        daemon.close()


def test_after_close_the_last_readings_stay_and_the_process_has_ended() -> None:
    daemon = BackgroundDaemon(demo_config("sabertooth"), listen="127.0.0.1:0")
    hardware = daemon.daemon.hardware
    daemon.robot.bases["base"].set_power(0.5, 0.0)
    assert daemon.wait_until(daemon.moving, 5) is not None
    daemon.close()
    assert hardware is not None and hardware.process is not None
    assert hardware.process.returncode == 0
    assert daemon.duties() == {"left": 0.0, "right": 0.0}, "closing stopped every wheel"
    assert [s.duty for s in daemon.sim.outputs["left"].history][-2:] == [
        pytest.approx(0.5, abs=1 / 127), 0.0]


def test_a_hardware_that_cannot_start_is_one_error_naming_the_config(tmp_path: Path) -> None:
    with __import__("socket").create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = parse_config({"sim": {"pigpio": f"127.0.0.1:{port}"}, **_toml(GPIO_ROVER)},
                              "rover.toml")
        with pytest.raises(HardwareError, match=r"^rover.toml: \[sim\]: cannot open the "
                                                r"simulated hardware's sockets: .*in use"):
            SimProcess.start(config)


def test_python_m_tether_sim_runs_a_config_file_until_told_to_stop(tmp_path: Path) -> None:
    path = tmp_path / "rover.toml"
    path.write_text(GPIO_ROVER)
    process = subprocess.Popen([sys.executable, "-m", "tether.sim", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        addresses = SimAddresses.parse(process.stdout.readline().strip())
        assert addresses.pid == process.pid and addresses.pigpio is not None
        with SimClient(addresses.inspect) as client:
            assert client.duties() == {"left": 0.0, "right": 0.0}
            assert list(client.rovers) == ["base"]
            assert client.pin(12) == {"level": 0, "state": 0.0, "mode": 0}
        time.sleep(0.2)
        assert process.poll() is None, "a sim started by hand runs until told to stop"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def _toml(text: str) -> dict[str, object]:
    import tomllib

    return tomllib.loads(text)
