"""TOML config -> a checked description of the rover; errors name the file, the key, the value.

Checking touches no hardware (`tether check`); building the robot is tether/robot.py's job.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tether.errors import ConfigError
from tether.session.manager import MAX_WINDOW, MIN_WINDOW

PIN = (int, str)
NUMBER = (int, float)
_COMMON_MOTOR = {"name": str, "driver": str, "invert": bool, "max_power": NUMBER,
                 "min_power": NUMBER, "max_rpm": NUMBER}
_SERIAL_MOTOR = {"port": str, "address": int, "channel": int, "controller_timeout": NUMBER}
DRIVER_KEYS: dict[str, dict[str, Any]] = {
    "gpio": {"in1": PIN, "in2": PIN, "pwm": PIN, "direction": PIN, "enable": PIN,
             "enable_active_high": bool, "pwm_frequency": NUMBER},
    "hat": {"chip": str, "hat": str, "motor": str, "channels": list},
    "sabertooth": {**_SERIAL_MOTOR, "autobaud": bool, "set_baud": int},
    "roboclaw": {**_SERIAL_MOTOR, "encoder_counts_per_rev": NUMBER},
    "smc": {"port": str, "crc": bool, "autobaud": bool, "controller_timeout": NUMBER},
}
_SECTIONS = {"server", "sim", "gpio", "pca9685", "serial", "motor", "base", "auth", "web"}


@dataclass(frozen=True)
class ServerConfig:
    """Where the daemon listens and how long a silent client keeps its motors."""

    listen: str = "127.0.0.1:8080"
    heartbeat_window: float = 0.5
    stop_timeout: float = 1.0
    max_sessions: int = 10_000
    tls_cert: str | None = None
    tls_key: str | None = None
    max_streams_per_connection: int = 64


@dataclass(frozen=True)
class ApiKey:
    """An API key: clients authenticate with its id and secret; sessions belong to the id."""

    id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class WebConfig:
    """The browser drive page (off unless enabled): where it listens and who may drive."""

    enabled: bool = False
    listen: str = "127.0.0.1:8081"
    allow_shared_base: bool = False
    allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChipConfig:
    """A PCA9685 on an I2C bus."""

    name: str
    bus: int | str = 1
    address: int = 0x40
    frequency: float = 1000.0


@dataclass(frozen=True)
class PortConfig:
    """A serial port shared by the controllers on it."""

    name: str
    port: str
    baudrate: int = 9600


@dataclass(frozen=True)
class MotorConfig:
    """One motor: its driver and the driver's options (already checked)."""

    name: str
    driver: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BaseConfig:
    """A differential base over configured motors."""

    name: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    width_mm: float
    wheel_circumference_mm: float
    max_rpm: float | None = None
    max_acceleration: float | None = None


@dataclass(frozen=True)
class RobotConfig:
    """Everything a config file declares."""

    source: str
    server: ServerConfig = ServerConfig()
    sim: bool = False
    pin_factory: str = "lgpio"
    chips: tuple[ChipConfig, ...] = ()
    ports: tuple[PortConfig, ...] = ()
    motors: tuple[MotorConfig, ...] = ()
    bases: tuple[BaseConfig, ...] = ()
    keys: tuple[ApiKey, ...] = ()
    web: WebConfig = WebConfig()

    @property
    def resource_names(self) -> list[str]:
        """Every motor and base name, in file order."""
        return [m.name for m in self.motors] + [b.name for b in self.bases]


class _Table:
    """One TOML table being read; every error names the file and the key."""

    def __init__(self, source: str, where: str, data: object) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: {where}: expected a table, got {data!r}")
        self.source, self.where, self.data = source, where, data

    def fail(self, key: str, expected: str) -> ConfigError:
        shown = self.data.get(key, "<missing>")
        return ConfigError(f"{self.source}: {self.where}.{key} = {shown!r}: expected {expected}")

    def only(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise ConfigError(
                    f"{self.source}: {self.where}.{key}: unknown key; expected one of "
                    f"{', '.join(sorted(allowed))}"
                )

    def get(self, key: str, kind: Any, default: Any = None, *, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                raise self.fail(key, f"a {_kind_name(kind)} (required)")
            return default
        value = self.data[key]
        if not _is(value, kind):
            raise self.fail(key, f"a {_kind_name(kind)}")
        return value

    def number(self, key: str, low: float, high: float, default: float | None = None,
               *, required: bool = False) -> float | None:
        value = self.get(key, NUMBER, default, required=required)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise self.fail(key, f"a number in [{low:g}, {high:g}]")
        return None if value is None else float(value)


def _is(value: object, kind: Any) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _kind_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def load_config(path: str | Path) -> RobotConfig:
    """Read and check a config file."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{source}: no such config file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    return parse_config(data, source)


def parse_config(data: dict[str, Any], source: str = "<config>") -> RobotConfig:
    """Check a parsed TOML document and turn it into a RobotConfig."""
    root = _Table(source, "config", data)
    for key in data:
        if key not in _SECTIONS:
            raise ConfigError(
                f"{source}: [{key}]: unknown section; expected one of "
                f"{', '.join(sorted(_SECTIONS))}"
            )
    server = _server(_Table(source, "[server]", data.get("server", {})))
    sim = data.get("sim", False)
    if not isinstance(sim, bool | dict):
        raise root.fail("sim", "a table [sim] or true/false")
    gpio = _Table(source, "[gpio]", data.get("gpio", {}))
    gpio.only({"pin_factory"})
    pin_factory = gpio.get("pin_factory", str, "lgpio")
    chips = tuple(_chip(source, i, t) for i, t in enumerate(_array(root, "pca9685")))
    ports = tuple(_port(source, i, t) for i, t in enumerate(_array(root, "serial")))
    motors = tuple(_motor(source, i, t, server) for i, t in enumerate(_array(root, "motor")))
    bases = tuple(_base(source, i, t) for i, t in enumerate(_array(root, "base")))
    keys = _keys(_Table(source, "[auth]", data.get("auth", {})))
    web = _web(_Table(source, "[web]", data.get("web", {})), bool(keys))
    config = RobotConfig(
        source, server, bool(sim), pin_factory, chips, ports, motors, bases, keys, web
    )
    _cross_check(config)
    return config


def _array(root: _Table, key: str) -> list[Any]:
    value = root.data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{root.source}: {key}: expected an array of tables [[{key}]]")
    return value


def _server(table: _Table) -> ServerConfig:
    table.only({"listen", "heartbeat_window", "stop_timeout", "max_sessions", "tls_cert",
                "tls_key", "max_streams_per_connection"})
    streams = table.get("max_streams_per_connection", int, 64)
    if not 1 <= streams <= 10_000:
        raise table.fail("max_streams_per_connection", "an integer in [1, 10000]")
    cert, key = table.get("tls_cert", str), table.get("tls_key", str)
    if (cert is None) != (key is None):
        raise table.fail("tls_cert" if cert is None else "tls_key",
                         "both tls_cert and tls_key, or neither")
    window = table.number("heartbeat_window", MIN_WINDOW, MAX_WINDOW, 0.5)
    stop_timeout = table.number("stop_timeout", 0.01, 60, 1.0)
    sessions = table.get("max_sessions", int, 10_000)
    if sessions < 1:
        raise table.fail("max_sessions", "an integer >= 1")
    listen = table.get("listen", str, "127.0.0.1:8080")
    parse_listen(listen, f"{table.source}: [server].listen")
    return ServerConfig(
        listen, float(window or 0.5), float(stop_timeout or 1.0), sessions, cert, key, streams
    )


def _web(table: _Table, has_keys: bool) -> WebConfig:
    from tether.web.origin import host_name, is_loopback_name, normalize_origin  # no aiohttp

    table.only({"enabled", "listen", "allow_shared_base", "allowed_origins"})
    listen = table.get("listen", str, "127.0.0.1:8081")
    address = parse_listen(listen, f"{table.source}: [web].listen")
    if isinstance(address, str):
        raise table.fail("listen", "HOST:PORT (the drive page does not serve a Unix socket)")
    origins = table.get("allowed_origins", list, [])
    try:
        checked = tuple(normalize_origin(o) for o in origins)
    except ConfigError:
        raise table.fail("allowed_origins", "origins like 'http://rover.local:8081'") from None
    enabled = table.get("enabled", bool, False)
    if enabled and not has_keys and not is_loopback_name(host_name(address[0])):
        raise table.fail(
            "listen", "a loopback address, or [[auth.keys]] (the page then asks for one)"
        )
    return WebConfig(enabled, listen, table.get("allow_shared_base", bool, False), checked)


def _keys(table: _Table) -> tuple[ApiKey, ...]:
    table.only({"keys"})
    entries = table.get("keys", list, [])
    keys = []
    for index, data in enumerate(entries):
        entry = _Table(table.source, f"[[auth.keys]] #{index + 1}", data)
        entry.only({"id", "secret_file", "secret_env"})
        key_id = entry.get("id", str, required=True)
        path, env = entry.get("secret_file", str), entry.get("secret_env", str)
        if (path is None) == (env is None):
            raise entry.fail("secret_file", "exactly one of secret_file or secret_env")
        keys.append(ApiKey(key_id, _secret(entry, path, env)))
    ids = [k.id for k in keys]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{table.source}: [[auth.keys]]: an id is used twice")
    return tuple(keys)


def _secret(entry: _Table, path: str | None, env: str | None) -> str:
    import os

    if env is not None:
        value = os.environ.get(env, "").strip()
        if not value:
            raise entry.fail("secret_env", "the name of a set, non-empty environment variable")
        if len(value) < 16:
            raise entry.fail("secret_env", "a variable holding a secret of at least 16 characters")
        return value
    try:
        value = Path(str(path)).read_text().strip()
    except OSError as exc:
        raise entry.fail("secret_file", f"a readable file ({exc.strerror})") from exc
    if len(value) < 16:
        raise entry.fail("secret_file", "a file holding a secret of at least 16 characters")
    return value


def parse_listen(listen: str, where: str) -> tuple[str, int] | str:
    """'HOST:PORT' -> (host, port); 'unix:PATH' -> PATH."""
    if listen.startswith("unix:"):
        path = listen[5:]
        if not path:
            raise ConfigError(f"{where} = {listen!r}: expected unix:/path/to/socket")
        return path
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{where} = {listen!r}: expected HOST:PORT or unix:PATH")
    return host.strip("[]"), int(port)


def _chip(source: str, index: int, data: object) -> ChipConfig:
    table = _Table(source, f"[[pca9685]] #{index + 1}", data)
    table.only({"name", "bus", "address", "frequency"})
    address = table.get("address", int, 0x40)
    if not 0x03 <= address <= 0x77:
        raise table.fail("address", "an I2C address 0x03-0x77")
    frequency = table.number("frequency", 24, 1526, 1000.0)
    return ChipConfig(
        table.get("name", str, required=True), table.get("bus", PIN, 1), address,
        float(frequency or 1000.0),
    )


def _port(source: str, index: int, data: object) -> PortConfig:
    table = _Table(source, f"[[serial]] #{index + 1}", data)
    table.only({"name", "port", "baudrate"})
    baud = table.get("baudrate", int, 9600)
    if baud not in (2400, 9600, 19200, 38400, 57600, 115200, 230400, 460800):
        raise table.fail("baudrate", "a standard baud rate (2400-460800)")
    return PortConfig(table.get("name", str, required=True), table.get("port", str, required=True),
                      baud)


def _motor(source: str, index: int, data: object, server: ServerConfig) -> MotorConfig:
    table = _Table(source, f"[[motor]] #{index + 1}", data)
    name = table.get("name", str, required=True)
    table.where = f"[[motor]] {name!r}"
    driver = table.get("driver", str, required=True)
    if driver not in DRIVER_KEYS:
        raise table.fail("driver", f"one of {', '.join(DRIVER_KEYS)}")
    keys = {**_COMMON_MOTOR, **DRIVER_KEYS[driver]}
    table.only(set(keys))
    options = {k: table.get(k, kind) for k, kind in keys.items() if k in table.data}
    options.pop("name"), options.pop("driver")
    table.number("max_power", 0.0, 1.0)
    table.number("min_power", 0.0, 1.0)
    table.number("max_rpm", 1e-3, 1e6)
    if driver in ("sabertooth", "roboclaw", "smc"):
        table.get("port", str, required=True)
        # a little above the session window, in the controllers' 100 ms steps
        tenths = math.ceil(round((server.heartbeat_window + 0.1) * 10, 6))
        options.setdefault("controller_timeout", tenths / 10)
    if driver == "hat":
        table.get("chip", str, required=True)
        if "channels" in options:
            options["channels"] = tuple(options["channels"])
    return MotorConfig(name, driver, options)


def _base(source: str, index: int, data: object) -> BaseConfig:
    table = _Table(source, f"[[base]] #{index + 1}", data)
    name = table.get("name", str, required=True)
    table.where = f"[[base]] {name!r}"
    table.only({"name", "left", "right", "width_mm", "wheel_circumference_mm", "max_rpm",
                "max_acceleration"})
    sides = []
    for key in ("left", "right"):
        side = table.get(key, list, required=True)
        if not side or not all(isinstance(n, str) for n in side):
            raise table.fail(key, "a non-empty list of motor names")
        sides.append(tuple(side))
    return BaseConfig(
        name, sides[0], sides[1],
        float(table.number("width_mm", 1, 1e5, required=True) or 0),
        float(table.number("wheel_circumference_mm", 1, 1e5, required=True) or 0),
        table.number("max_rpm", 1e-3, 1e6), table.number("max_acceleration", 0.01, 1000),
    )


def _cross_check(config: RobotConfig) -> None:
    names = config.resource_names
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ConfigError(f"{config.source}: resource name {duplicate!r} is used twice")
    motors = {m.name: m for m in config.motors}
    chips, ports = {c.name for c in config.chips}, {p.name for p in config.ports}
    for motor in config.motors:
        chip, port = motor.options.get("chip"), motor.options.get("port")
        if motor.driver == "hat" and chip not in chips:
            raise ConfigError(
                f"{config.source}: [[motor]] {motor.name!r}.chip = {chip!r}: expected the name "
                f"of a [[pca9685]] ({', '.join(sorted(chips)) or 'none declared'})"
            )
        if port is not None and port not in ports:
            raise ConfigError(
                f"{config.source}: [[motor]] {motor.name!r}.port = {port!r}: expected the name "
                f"of a [[serial]] ({', '.join(sorted(ports)) or 'none declared'})"
            )
    used: set[str] = set()
    for base in config.bases:
        for name in (*base.left, *base.right):
            if name not in motors:
                raise ConfigError(
                    f"{config.source}: [[base]] {base.name!r}: motor {name!r} is not a [[motor]]"
                )
            if name in used:
                raise ConfigError(
                    f"{config.source}: [[base]] {base.name!r}: motor {name!r} is in two places"
                )
            used.add(name)
