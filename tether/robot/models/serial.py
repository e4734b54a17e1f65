"""What the serial controller families share: the port, address and channel, the controller's own
timeout, the claim on a channel, the build on a shared link and the fake on the port's pty."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from tether.errors import ConfigError
from tether.robot.model import DemoWiring, Preset, Sides
from tether.robot.safe import SafeOff, StopFrame
from tether.robot.table import NUMBER, Table
from tether.robot.wiring import Claim, EncoderConfig, MotorConfig

if TYPE_CHECKING:
    from tether.drivers.motor import Motor
    from tether.drivers.serial.motor import SerialMotor
    from tether.fakes.channel import DutyChannel
    from tether.fakes.serial_device import DualChannelController, PtySerialDevice
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

#: The keys of a controller at an address with two channels (Sabertooth, RoboClaw).
TWO_CHANNEL_KEYS = {"port": str, "address": int, "channel": int, "controller_timeout": NUMBER}
Device = TypeVar("Device", bound="PtySerialDevice")


def check_port(table: Table) -> None:
    """Every serial motor names its [[serial]] port."""
    table.get("port", str, required=True)


def check_address(table: Table, options: dict[str, Any], driver: str, addresses: range) -> None:
    """An address the controller can be set to and channel 1 or 2; both default to the first."""
    low, high = addresses[0], addresses[-1]
    if table.get("address", int, low) not in addresses:
        raise table.fail("address", f"a {driver} address {low}-{high} (0x{low:02X}-"
                                    f"0x{high:02X})")
    if table.get("channel", int, 1) not in (1, 2):
        raise table.fail("channel", "1 or 2")
    options.setdefault("address", low)
    options.setdefault("channel", 1)


def check_timeout(table: Table, options: dict[str, Any], longest: float, window: float) -> None:
    """The controller's own timeout within what its protocol can say; by default a little above
    the session window, in the controllers' 100 ms steps."""
    timeout = table.get("controller_timeout", NUMBER)
    if timeout is not None and not (math.isfinite(timeout) and 0 < timeout <= longest):
        raise table.fail("controller_timeout", f"seconds in (0, {longest:g}] (0 would turn off "
                                               "the controller's own stop)")
    tenths = math.ceil(round((window + 0.1) * 10, 6))
    options.setdefault("controller_timeout", min(tenths / 10, longest))


def channel_claims(motor: MotorConfig, ports: Mapping[str, str]) -> Iterator[Claim]:
    """One channel of the controller at its address on its port."""
    options = motor.options
    path, address, channel = ports[options["port"]], options["address"], options["channel"]
    yield Claim(motor.name, "channel", ("serial", path, address, channel),
                f"channel {channel} of the {motor.driver} at {address} on {path}")


def channel_stop(frame: Callable[[int, int, float], bytes]) -> SafeOff:
    """A two-channel controller's second line: its drive frame at duty 0 for the motor's channel
    at its address (`frame` is the protocol's (address, channel, duty) -> bytes)."""

    def safe_off(motor: MotorConfig) -> Iterator[StopFrame]:
        """Duty 0 on the motor's channel."""
        options = motor.options
        yield StopFrame(motor.name, options["port"],
                        frame(options["address"], options["channel"], 0.0))

    return safe_off


def build_on_link(driver: type[SerialMotor], motor: MotorConfig, shared: SharedDrivers) -> Motor:
    """The motor's driver on the shared link of its [[serial]]."""
    options = {k: v for k, v in motor.options.items() if k != "port"}
    return driver(motor.name, link=shared.link(motor.options["port"]), **options)


def fake_controller(motor: MotorConfig | EncoderConfig, hardware: FakeHardware,
                    make: Callable[[], Device]) -> Device:
    """The fake controller on the motor's (or encoder's) port: made by the first there, on a
    pty."""
    name = motor.options["port"]
    key = f"serial-{name}"
    if key in hardware.devices:
        device: Any = hardware.devices[key]
        if getattr(device, "address", None) != motor.options.get("address", device.address):
            raise ConfigError(
                f"{hardware.source}: --sim runs one controller per serial port; "
                f"{'[[motor]]' if isinstance(motor, MotorConfig) else '[[encoder]]'} "
                f"{motor.name!r} uses another address on {name!r}"
            )
        found: Device = device
        return found
    made = hardware.device(key, make)
    hardware.closers.append(made.close)
    return made


def fake_channel(controller: type[DualChannelController], motor: MotorConfig,
                 hardware: FakeHardware) -> DutyChannel:
    """The motor's channel of a fake two-channel controller at its address on its port."""
    device = fake_controller(
        motor, hardware, lambda: controller(motor.options["address"], clock=hardware.clock)
    )
    return device.channels[motor.options["channel"]]


def two_channel_demo(port: dict[str, Any], address: int, description: str) -> Preset:
    """A skid-steer demo rover on one controller: channel 1 turns the left side, 2 the right."""

    def demo(sides: Sides, _chip: str) -> DemoWiring:
        """Each side's first wheel names the motor on its channel; the others share it."""
        motors, wheels = {}, {}
        for channel, side in ((1, sides[0]), (2, sides[1])):
            motors[side[0]] = {"port": port["name"], "address": address, "channel": channel}
            wheels.update({name: side[0] for name in side})
        return DemoWiring(description, {"serial": [port]}, motors, wheels)

    return demo
