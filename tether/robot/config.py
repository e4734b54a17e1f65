"""TOML config -> a checked description of the rover; errors name the file, the key, the value.

Checking touches no hardware (`tether check`); [[motor]] tables are checked by their driver's row
of the model table (tether/robot/motors.py); building the robot is tether/robot/build.py's job.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tether.contract.address import parse_listen
from tether.errors import ConfigError
from tether.robot.auth import DEFAULT_TOKEN_LIFETIME, ApiKey, parse_auth, private_file
from tether.robot.encoders import parse_encoders
from tether.robot.model import Checking
from tether.robot.motors import claims, parse_motors
from tether.robot.table import PIN, Table
from tether.robot.wiring import ChipConfig, EncoderConfig, MotorConfig, PortConfig
from tether.session.manager import MAX_WINDOW, MIN_WINDOW

__all__ = ["ApiKey", "BaseConfig", "ChipConfig", "EncoderConfig", "GuardianConfig",
           "MotorConfig", "OdometryConfig", "PortConfig", "RobotConfig", "ServerConfig",
           "SimConfig", "WebConfig", "load_config", "parse_config", "parse_listen"]
_SECTIONS = {"server", "sim", "gpio", "pca9685", "serial", "motor", "encoder", "base",
             "odometry", "auth", "web", "guardian"}


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
    #: Keys over plaintext beyond loopback: the operator accepts that secrets cross in clear.
    allow_plaintext_keys: bool = False


@dataclass(frozen=True)
class WebConfig:
    """The browser drive page (off unless enabled): where it listens and who may drive."""

    enabled: bool = False
    listen: str = "127.0.0.1:8081"
    allow_shared_base: bool = False
    allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimConfig:
    """Where the simulated-hardware process (--sim) opens its seams: the fake pigpiod on TCP
    (port 0: a free one), the fake I2C bus and the inspection API on HOST:PORT or unix:PATH
    (empty: a Unix socket in a private folder)."""

    pigpio: str = "127.0.0.1:0"
    i2c: str = ""
    inspect: str = ""


@dataclass(frozen=True)
class GuardianConfig:
    """The guardian's limits: how long the daemon may be silent, and whether it comes back."""

    #: Seconds without a beat from the daemon's event loop or watchdog thread before it is
    #: killed and the outputs made safe (ArduPilot Rover disarms 0.2 s after its loop stops).
    hang_timeout: float = 0.2
    #: "always": restart a daemon that died; "never": stay down with the outputs safe.
    restart: str = "always"
    #: Crashes within a minute after which the daemon stays down (outputs safe, the reason said).
    max_restarts: int = 5
    #: Seconds the guardian allows itself to make every output safe after a death.
    safe_deadline: float = 1.0


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
    #: Velocity and moves held by the wheels' encoders (None: when every wheel has one).
    closed_loop: bool | None = None


@dataclass(frozen=True)
class OdometryConfig:
    """A wheeled-odometry movement sensor over a base whose wheels all have encoders."""

    name: str
    base: str
    latitude: float = 0.0
    longitude: float = 0.0


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
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    sim_addresses: SimConfig = SimConfig()
    encoders: tuple[EncoderConfig, ...] = ()
    odometry: tuple[OdometryConfig, ...] = ()
    guardian: GuardianConfig = GuardianConfig()

    @property
    def resource_names(self) -> list[str]:
        """Every motor and base name, in file order."""
        return [m.name for m in self.motors] + [b.name for b in self.bases]

    def encoded(self, base: BaseConfig) -> bool:
        """Whether every wheel of `base` has an encoder."""
        motors = {m.name: m for m in self.motors}
        return all(motors[n].encoder is not None for n in (*base.left, *base.right))


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
    root = Table(source, "config", data)
    for key in data:
        if key not in _SECTIONS:
            raise ConfigError(
                f"{source}: [{key}]: unknown section; expected one of "
                f"{', '.join(sorted(_SECTIONS))}"
            )
    server = _server(Table(source, "[server]", data.get("server", {})))
    sim = data.get("sim", False)
    if not isinstance(sim, bool | dict):
        raise root.fail("sim", "a table [sim] or true/false")
    sim_addresses = _sim(Table(source, "[sim]", sim if isinstance(sim, dict) else {}))
    pin_factory = _pin_factory(Table(source, "[gpio]", data.get("gpio", {})))
    chips = _chips(_named_tables(root, "pca9685"))
    ports = _ports(_named_tables(root, "serial"))
    paths = {p.name: p.port for p in ports}
    motors = parse_motors(_named_tables(root, "motor"), server.heartbeat_window, pin_factory,
                          {c.name for c in chips}, paths)
    encoders = parse_encoders(
        _named_tables(root, "encoder"), Checking(server.heartbeat_window, pin_factory), paths,
        [c for m in motors for c in claims(m, paths)], {m.name: m.driver for m in motors},
    )
    if not motors:
        raise ConfigError(
            f"{source}: [[motor]] = <none>: expected at least one [[motor]] table "
            "(this config drives nothing)"
        )
    bases = tuple(_base(t) for t in _named_tables(root, "base"))
    odometry = tuple(_odometry(t) for t in _named_tables(root, "odometry"))
    keys, lifetime = parse_auth(Table(source, "[auth]", data.get("auth", {})))
    web = _web(Table(source, "[web]", data.get("web", {})), bool(keys))
    simulated = sim is True or isinstance(sim, dict)  # an empty [sim] table asks for it too
    guardian = _guardian(Table(source, "[guardian]", data.get("guardian", {})))
    config = RobotConfig(
        source, server, simulated, pin_factory, chips, ports, motors, bases, keys, web, lifetime,
        sim_addresses, encoders, odometry, guardian,
    )
    _cross_check(config)
    _check_encoded(config, root)
    return config


def _array(root: Table, key: str) -> list[Any]:
    value = root.data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{root.source}: {key}: expected an array of tables [[{key}]]")
    return value


def _named_tables(root: Table, key: str) -> Iterator[Table]:
    """Each [[key]] table, then called by its name: names are unique within an array."""
    names: set[str] = set()
    for index, data in enumerate(_array(root, key)):
        table = Table(root.source, f"[[{key}]] #{index + 1}", data)
        name = table.get("name", str, required=True)
        if name in names:
            raise table.fail("name", f"a name no other [[{key}]] uses")
        names.add(name)
        table.where = f"[[{key}]] {name!r}"
        yield table


def _pin_factory(table: Table) -> str:
    from tether.drivers.pins import DEFAULT_PIN_FACTORY, PIN_FACTORIES  # no gpiozero

    table.only({"pin_factory"})
    name: str = table.get("pin_factory", str, DEFAULT_PIN_FACTORY)
    if name not in PIN_FACTORIES:
        raise table.fail("pin_factory", f"one of {', '.join(PIN_FACTORIES)}")
    return name


def _server(table: Table) -> ServerConfig:
    table.only({"listen", "heartbeat_window", "stop_timeout", "max_sessions", "tls_cert",
                "tls_key", "max_streams_per_connection", "allow_plaintext_keys"})
    streams = table.get("max_streams_per_connection", int, 64)
    if not 1 <= streams <= 10_000:
        raise table.fail("max_streams_per_connection", "an integer in [1, 10000]")
    cert, key = table.get("tls_cert", str), table.get("tls_key", str)
    if (cert is None) != (key is None):
        raise table.fail("tls_cert" if cert is None else "tls_key",
                         "both tls_cert and tls_key, or neither")
    if cert is not None:
        _tls_files(table, cert, key)
    window = table.number("heartbeat_window", MIN_WINDOW, MAX_WINDOW, 0.5)
    stop_timeout = table.number("stop_timeout", 0.01, 60, 1.0)
    sessions = table.get("max_sessions", int, 10_000)
    if sessions < 1:
        raise table.fail("max_sessions", "an integer >= 1")
    listen = table.get("listen", str, "127.0.0.1:8080")
    parse_listen(listen, f"{table.source}: [server].listen")
    return ServerConfig(
        listen, float(window or 0.5), float(stop_timeout or 1.0), sessions, cert, key, streams,
        table.get("allow_plaintext_keys", bool, False),
    )


def _sim(table: Table) -> SimConfig:
    """[sim]: where the simulated hardware listens (each address checked, none opened)."""
    table.only({"pigpio", "i2c", "inspect"})
    found = {}
    for key, unix in (("pigpio", False), ("i2c", True), ("inspect", True)):
        address = table.get(key, str)
        if address is None:
            continue
        parsed = parse_listen(address, f"{table.source}: [sim].{key}")
        if isinstance(parsed, str) and not unix:
            raise table.fail(key, "HOST:PORT (pigpio speaks TCP)")
        found[key] = address
    return SimConfig(**found)


def _guardian(table: Table) -> GuardianConfig:
    table.only({"hang_timeout", "restart", "max_restarts"})
    hang = table.number("hang_timeout", 0.05, 5.0, 0.2)
    restart = table.get("restart", str, "always")
    if restart not in ("always", "never"):
        raise table.fail("restart", '"always" or "never"')
    restarts = table.get("max_restarts", int, 5)
    if not 0 <= restarts <= 100:
        raise table.fail("max_restarts", "an integer in [0, 100] (crashes per minute)")
    return GuardianConfig(float(hang or 0.2), restart, restarts)


def _tls_files(table: Table, cert: str, key: str) -> None:
    """Load the certificate and key now, so `check` finds what would stop the daemon starting."""
    import ssl

    for name, path in (("tls_cert", cert), ("tls_key", key)):
        try:
            Path(path).read_bytes()
        except OSError as exc:
            raise table.fail(name, f"a readable PEM file ({exc.strerror})") from None
    private_file(table, "tls_key", key)
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise table.fail("tls_cert", f"a PEM certificate for the key in tls_key ({exc})") from None


def _web(table: Table, has_keys: bool) -> WebConfig:
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


def _chips(tables: Iterator[Table]) -> tuple[ChipConfig, ...]:
    """Every [[pca9685]]; two tables on one bus and address would be one chip driven twice."""
    chips: list[ChipConfig] = []
    for table in tables:
        table.only({"name", "bus", "address", "frequency"})
        bus = table.get("bus", PIN, 1)
        if bus == "" or (isinstance(bus, int) and bus < 0):
            raise table.fail("bus", "an I2C bus number >= 0 or a path like '/dev/i2c-1'")
        address = table.get("address", int, 0x40)
        if not 0x03 <= address <= 0x77:
            raise table.fail("address", "an I2C address 0x03-0x77")
        same = next((c.name for c in chips if (c.bus, c.address) == (bus, address)), None)
        if same is not None:
            raise table.fail("address", f"an address no other [[pca9685]] on bus {bus!r} uses "
                                        f"({same!r} has it)")
        frequency = table.number("frequency", 24, 1526, 1000.0)
        chips.append(ChipConfig(table.data["name"], bus, address, float(frequency or 1000.0)))
    return tuple(chips)


def _ports(tables: Iterator[Table]) -> tuple[PortConfig, ...]:
    """Every [[serial]]; two tables on one device would be one port opened twice."""
    ports: list[PortConfig] = []
    for table in tables:
        table.only({"name", "port", "baudrate"})
        baud = table.get("baudrate", int, 9600)
        if baud not in (2400, 9600, 19200, 38400, 57600, 115200, 230400, 460800):
            raise table.fail("baudrate", "a standard baud rate (2400-460800)")
        path = table.get("port", str, required=True)
        same = next((p.name for p in ports if p.port == path), None)
        if same is not None:
            raise table.fail("port", f"a port no other [[serial]] uses ({same!r} has it): "
                                     "controllers sharing a port list one [[serial]]")
        ports.append(PortConfig(table.data["name"], path, baud))
    return tuple(ports)


def _base(table: Table) -> BaseConfig:
    table.only({"name", "left", "right", "width_mm", "wheel_circumference_mm", "max_rpm",
                "max_acceleration", "closed_loop"})
    sides = []
    for key in ("left", "right"):
        side = table.get(key, list, required=True)
        if not side or not all(isinstance(n, str) for n in side):
            raise table.fail(key, "a non-empty list of motor names")
        sides.append(tuple(side))
    return BaseConfig(
        table.data["name"], sides[0], sides[1],
        float(table.number("width_mm", 1, 1e5, required=True) or 0),
        float(table.number("wheel_circumference_mm", 1, 1e5, required=True) or 0),
        table.number("max_rpm", 1e-3, 1e6), table.number("max_acceleration", 0.01, 1000),
        table.get("closed_loop", bool),
    )


def _odometry(table: Table) -> OdometryConfig:
    table.only({"name", "base", "latitude", "longitude"})
    return OdometryConfig(
        table.data["name"], table.get("base", str, required=True),
        float(table.number("latitude", -90, 90, 0.0) or 0.0),
        float(table.number("longitude", -180, 180, 0.0) or 0.0),
    )


def _cross_check(config: RobotConfig) -> None:
    motors = {m.name: m for m in config.motors}
    same = next((b.name for b in config.bases if b.name in motors), None)
    if same is not None:
        raise ConfigError(f"{config.source}: [[base]] {same!r}.name = {same!r}: expected a "
                          "name no [[motor]] uses (clients address both by name)")
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


def _check_encoded(config: RobotConfig, root: Table) -> None:
    """Each motor's encoder exists, is its alone and can sit on it; a closed-loop base and an
    odometry sensor have an encoder on every wheel; no two resources share a name."""
    _unique_names(config)
    source = config.source
    encoders = {e.name: e for e in config.encoders}
    users: dict[str, str] = {}
    for motor in config.motors:
        if motor.encoder is None:
            continue
        where = f"{source}: [[motor]] {motor.name!r}.encoder = {motor.encoder!r}: expected"
        encoder = encoders.get(motor.encoder)
        if encoder is None:
            raise ConfigError(f"{where} the name of an [[encoder]] "
                              f"({', '.join(sorted(encoders)) or 'none declared'})")
        if motor.encoder in users:
            raise ConfigError(f"{where} an encoder no other motor uses ([[motor]] "
                              f"{users[motor.encoder]!r} has it)")
        users[motor.encoder] = motor.name
        _fits(motor, encoder, where)
    bases = {b.name: b for b in config.bases}
    for base in config.bases:
        if base.closed_loop and not config.encoded(base):
            raise ConfigError(f"{source}: [[base]] {base.name!r}.closed_loop = true: expected "
                              "an encoder on every wheel (encoder = ... on each [[motor]])")
    for sensor in config.odometry:
        base_config = bases.get(sensor.base)
        if base_config is None or not config.encoded(base_config):
            raise ConfigError(f"{source}: [[odometry]] {sensor.name!r}.base = {sensor.base!r}: "
                              "expected the name of a [[base]] with an encoder on every wheel")


def _fits(motor: MotorConfig, encoder: EncoderConfig, where: str) -> None:
    """A RoboClaw's counter belongs to its own channel's motor; the old position-only key and
    an encoder are one or the other."""
    if encoder.driver == "roboclaw":
        o, e = motor.options, encoder.options
        if motor.driver != "roboclaw" or (o["port"], o["address"], o["channel"]) != (
                e["port"], e["address"], e["channel"]):
            raise ConfigError(f"{where} an encoder this motor's wheel turns (a roboclaw "
                              "encoder counts the motor on its own port, address and channel)")
    if "encoder_counts_per_rev" in motor.options:
        raise ConfigError(f"{where} no encoder_counts_per_rev as well (the [[encoder]]'s "
                          "ticks_per_revolution replaces it)")


def _unique_names(config: RobotConfig) -> None:
    """Clients address every resource by its name: two of them may not share one."""
    seen: dict[str, str] = {}
    groups = (("[[motor]]", [m.name for m in config.motors]),
              ("[[base]]", [b.name for b in config.bases]),
              ("[[encoder]]", [e.name for e in config.encoders]),
              ("[[odometry]]", [o.name for o in config.odometry]))
    for section, names in groups:
        for name in names:
            if name in seen and seen[name] != section:
                raise ConfigError(f"{config.source}: {section} {name!r}.name = {name!r}: "
                                  f"expected a name no {seen[name]} uses (clients address "
                                  "both by name)")
            seen[name] = section
