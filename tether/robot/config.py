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
from tether.robot.motors import parse_motors
from tether.robot.table import PIN, Table
from tether.robot.wiring import ChipConfig, MotorConfig, PortConfig
from tether.session.manager import MAX_WINDOW, MIN_WINDOW

__all__ = ["ApiKey", "BaseConfig", "ChipConfig", "GuardianConfig", "MotorConfig", "PortConfig",
           "RobotConfig", "ServerConfig", "SimConfig", "WebConfig", "load_config",
           "parse_config", "parse_listen"]
_SECTIONS = {"server", "sim", "gpio", "pca9685", "serial", "motor", "base", "auth", "web",
             "guardian"}


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
    guardian: GuardianConfig = GuardianConfig()

    @property
    def resource_names(self) -> list[str]:
        """Every motor and base name, in file order."""
        return [m.name for m in self.motors] + [b.name for b in self.bases]


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
    motors = parse_motors(_named_tables(root, "motor"), server.heartbeat_window, pin_factory,
                          {c.name for c in chips}, {p.name: p.port for p in ports})
    if not motors:
        raise ConfigError(
            f"{source}: [[motor]] = <none>: expected at least one [[motor]] table "
            "(this config drives nothing)"
        )
    bases = tuple(_base(t) for t in _named_tables(root, "base"))
    keys, lifetime = parse_auth(Table(source, "[auth]", data.get("auth", {})))
    web = _web(Table(source, "[web]", data.get("web", {})), bool(keys))
    simulated = sim is True or isinstance(sim, dict)  # an empty [sim] table asks for it too
    guardian = _guardian(Table(source, "[guardian]", data.get("guardian", {})))
    config = RobotConfig(
        source, server, simulated, pin_factory, chips, ports, motors, bases, keys, web, lifetime,
        sim_addresses, guardian=guardian,
    )
    _cross_check(config)
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
                "max_acceleration"})
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
