"""I2C buses with a PCA9685 (or nothing) on them, serial ports, the kernel console on a port."""

from __future__ import annotations

import os

from tests.doctor.trees import PI4, Tree, user
from tether.config import ChipConfig, PortConfig
from tether.doctor import Group, Needs, Severity
from tether.doctor.buses import i2c, serial
from tether.fakes.smbus import FakePCA9685, FakeSMBus

HAT = ChipConfig("hat", bus=1, address=0x60)
SABER = PortConfig("saber", "/dev/ttyAMA0")


class Opener:
    """Opens a fake bus with a PCA9685 at `address` (None: nothing on it); keeps each bus."""

    def __init__(self, address: int | None) -> None:
        self.address = address
        self.paths: list[str] = []
        self.buses: list[FakeSMBus] = []

    def __call__(self, path: str) -> FakeSMBus:
        bus = FakeSMBus(path)
        if self.address is not None:
            bus.attach(self.address, FakePCA9685())
        self.paths.append(path)
        self.buses.append(bus)
        return bus


def test_a_pca9685_answering_at_its_address_is_ok(tree: Tree) -> None:
    tree.model(PI4)
    device = tree.device("i2c-1")
    tree.open_bus = opener = Opener(0x60)
    [finding] = i2c(tree.machine(), Needs(known=True, chips=(HAT,)))
    assert (finding.severity, finding.says) == (
        Severity.OK, f"answers at 0x60 on {device} (MODE1 0x11: asleep, as after power-on)")
    assert opener.paths == [str(device)]
    assert opener.buses[0].transfers == [("read", 0x60, 0x00, b"")]  # MODE1 read, no write
    assert opener.buses[0].closed


def test_nothing_at_the_address_is_a_failure_that_says_nack(tree: Tree) -> None:
    tree.model(PI4)
    tree.device("i2c-1")
    tree.open_bus = opener = Opener(0x40)  # a Waveshare HAT where an Adafruit one is set
    [finding] = i2c(tree.machine(), Needs(known=True, chips=(HAT,)))
    assert finding.severity is Severity.FAILURE
    assert "nothing answers at 0x60" in finding.says and "(NACK)" in finding.says
    assert "i2cdetect -y 1" in finding.fix
    assert opener.buses[0].closed


def test_a_missing_bus_asks_for_i2c_to_be_enabled_on_a_pi(tree: Tree) -> None:
    [elsewhere] = i2c(tree.machine(), Needs(known=True, chips=(HAT,)))
    assert (elsewhere.severity, elsewhere.fix) == (Severity.FAILURE,
                                                   "run this on the rover's Pi")
    tree.model(PI4)
    [finding] = i2c(tree.machine(), Needs(known=True, chips=(HAT,)))
    assert finding.severity is Severity.FAILURE
    assert finding.says == f"no {tree.root}/dev/i2c-1: the I2C bus is not there"
    assert "dtparam=i2c_arm=on" in finding.fix


def test_a_bus_the_user_may_not_open_names_its_group(tree: Tree) -> None:
    tree.model(PI4)
    tree.device("i2c-1")
    tree.identity = user(in_device_group=False, groups={"i2c": Group(0)})
    tree.open_bus = Opener(0x60)
    [finding] = i2c(tree.machine(), Needs(known=True, chips=(HAT,)))
    assert finding.severity is Severity.FAILURE
    assert finding.fix.startswith("sudo usermod -aG i2c pi")


def test_a_bus_given_by_path_is_looked_up_under_dev(tree: Tree) -> None:
    tree.device("i2c-3")
    tree.open_bus = Opener(0x40)
    chip = ChipConfig("waveshare", bus="/dev/i2c-3", address=0x40)
    [finding] = i2c(tree.machine(), Needs(known=True, chips=(chip,)))
    assert finding.severity is Severity.OK


def test_without_a_config_the_buses_are_listed(tree: Tree) -> None:
    tree.device("i2c-1")
    tree.device("i2c-20")
    [finding] = i2c(tree.machine(), Needs.unknown())
    assert (finding.severity, finding.says) == (
        Severity.INFO, "buses: i2c-1, i2c-20 (pass the config to check its PCA9685s)")


def test_a_serial_port_present_and_usable_is_ok(tree: Tree) -> None:
    port = tree.device("ttyAMA0")
    tree.cmdline("console=tty1 quiet")
    [finding] = serial(tree.machine(), Needs(known=True, ports=(SABER,)))
    assert (finding.severity, finding.says) == (Severity.OK, f"{port} (read/write for pi)")


def test_a_missing_or_refused_port_fails(tree: Tree) -> None:
    [missing] = serial(tree.machine(), Needs(known=True, ports=(SABER,)))
    assert (missing.severity, missing.says) == (Severity.FAILURE, f"no {tree.root}/dev/ttyAMA0")
    tree.device("ttyAMA0")
    tree.identity = user(in_device_group=False, groups={"dialout": Group(0)})
    [refused] = serial(tree.machine(), Needs(known=True, ports=(SABER,)))
    assert refused.severity is Severity.FAILURE
    assert refused.fix.startswith("sudo usermod -aG dialout pi")


def test_the_kernel_console_on_the_motor_port_is_a_safety_finding(tree: Tree) -> None:
    tree.model(PI4)
    tree.device("ttyAMA0")
    os.symlink("ttyAMA0", tree.root / "dev" / "serial0")  # as udev links it
    tree.cmdline("console=serial0,115200 console=tty1 root=PARTUUID=1234-02")
    [finding] = serial(tree.machine(), Needs(known=True, ports=(SABER,)))
    assert finding.severity is Severity.SAFETY
    assert "console=serial0,115200" in finding.says
    assert "written to the motor controller" in finding.says
    assert finding.fix.startswith("remove console=serial0,115200 from ")
    tree.cmdline("console=ttyS0,115200 console=tty1")
    [other] = serial(tree.machine(), Needs(known=True, ports=(SABER,)))
    assert other.severity is Severity.OK


def test_serial_is_not_checked_without_ports(tree: Tree) -> None:
    [finding] = serial(tree.machine(), Needs(known=True))
    assert finding.severity is Severity.INFO
