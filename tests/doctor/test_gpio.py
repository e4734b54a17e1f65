"""The pin factory's needs: device files, pigpiod answering, lgpio's working directory."""

from __future__ import annotations

import socket

from tests.doctor.trees import PI4, PI5, Tree, user
from tether.doctor import Needs, Severity
from tether.doctor.gpio import gpio_devices, lgpio_workdir, pigpiod
from tether.fakes.pigpiod.server import FakePigpiod

LGPIO = Needs(known=True, gpio_factory="lgpio")
PIGPIO = Needs(known=True, gpio_factory="pigpio")


def test_gpiochips_the_user_may_open_are_ok(tree: Tree) -> None:
    tree.model(PI5)
    tree.device("gpiochip0")
    tree.device("gpiochip4")
    finding = gpio_devices(tree.machine(), LGPIO)
    assert (finding.severity, finding.says) == (Severity.OK, "gpiochip0, gpiochip4 (read/write "
                                                             "for pi)")


def test_a_gpiochip_outside_the_users_groups_fails_with_the_group_to_join(tree: Tree) -> None:
    tree.model(PI4)
    tree.device("gpiochip0")
    tree.identity = user(in_device_group=False)
    finding = gpio_devices(tree.machine(), LGPIO)
    assert finding.severity is Severity.FAILURE
    assert "pi may not open" in finding.says and "gpiochip0" in finding.says
    assert finding.fix.startswith("sudo usermod -aG gpio pi")


def test_a_device_open_to_everyone_needs_no_group(tree: Tree) -> None:
    tree.model(PI4)
    tree.device("gpiochip0", mode=0o666)
    tree.identity = user(in_device_group=False)
    assert gpio_devices(tree.machine(), LGPIO).severity is Severity.OK


def test_no_gpiochip_on_a_pi_fails_and_off_a_pi_without_config_is_only_noted(
    tree: Tree,
) -> None:
    assert gpio_devices(tree.machine(), Needs.unknown()).severity is Severity.INFO
    assert gpio_devices(tree.machine(), LGPIO).severity is Severity.FAILURE
    tree.model(PI4)
    assert gpio_devices(tree.machine(), Needs.unknown()).severity is Severity.FAILURE


def test_rpigpio_looks_for_gpiomem_and_pigpio_for_nothing(tree: Tree) -> None:
    tree.model(PI4)
    tree.device("gpiochip0")
    rpigpio = Needs(known=True, gpio_factory="rpigpio")
    assert gpio_devices(tree.machine(), rpigpio).severity is Severity.FAILURE
    tree.device("gpiomem")
    assert gpio_devices(tree.machine(), rpigpio).says.startswith("gpiomem (")
    assert gpio_devices(tree.machine(), PIGPIO).severity is Severity.INFO


def test_pigpiod_answering_its_version_is_ok(tree: Tree) -> None:
    tree.model(PI4)
    with FakePigpiod(port=0) as daemon:
        address = f"{daemon.host}:{daemon.port}"
        tree.environ.update(PIGPIO_ADDR=daemon.host, PIGPIO_PORT=str(daemon.port))
        finding = pigpiod(tree.machine(), PIGPIO)
    assert (finding.severity, finding.says) == (Severity.OK, f"pigpiod 79 answers on {address}")


def test_no_pigpiod_fails_and_says_how_to_start_it(tree: Tree) -> None:
    tree.model(PI4)
    tree.environ.update(PIGPIO_ADDR="127.0.0.1", PIGPIO_PORT=str(_closed_port()))
    finding = pigpiod(tree.machine(), PIGPIO)
    assert finding.severity is Severity.FAILURE
    assert finding.says.startswith("no pigpiod answers on 127.0.0.1:")
    assert finding.fix == "sudo systemctl enable --now pigpiod"
    tree.write("proc/812/comm", "pigpiod\n")
    running = pigpiod(tree.machine(), PIGPIO)
    assert "a pigpiod process is running" in running.says
    assert running.fix == "check PIGPIO_ADDR/PIGPIO_PORT"


def test_something_else_on_the_pigpio_port_is_not_pigpiod(tree: Tree) -> None:
    tree.model(PI4)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        tree.environ.update(PIGPIO_ADDR="127.0.0.1", PIGPIO_PORT=str(listener.getsockname()[1]))
        finding = pigpiod(tree.machine(timeout=0.3), PIGPIO)
    assert finding.severity is Severity.FAILURE  # accepted, never answered: timed out
    assert "timed out" in finding.says


def test_pigpio_on_a_pi5_fails_before_any_probe(tree: Tree) -> None:
    tree.model(PI5)
    finding = pigpiod(tree.machine(), PIGPIO)
    assert (finding.severity, finding.says) == (Severity.FAILURE,
                                                "pigpio does not run on a Raspberry Pi 5")
    assert pigpiod(tree.machine(), LGPIO).severity is Severity.INFO


def test_lgpio_needs_a_writable_working_directory_or_lg_wd(tree: Tree) -> None:
    work = tree.root / "work"
    work.chmod(0o755)  # root's, not pi's
    refused = lgpio_workdir(tree.machine(), LGPIO)
    assert refused.severity is Severity.FAILURE
    assert f"the working directory {work} (LG_WD unset) is not a directory pi can write" in \
        refused.says
    assert "Environment=LG_WD=/run/tether" in refused.fix
    run = tree.root / "run" / "tether"
    run.mkdir(parents=True)
    run.chmod(0o770)  # group 0: pi's in this tree
    tree.environ["LG_WD"] = str(run)
    allowed = lgpio_workdir(tree.machine(), LGPIO)
    assert (allowed.severity, allowed.says) == (Severity.OK, f"LG_WD={run} is writable for pi")


def test_lg_wd_naming_a_missing_directory_fails(tree: Tree) -> None:
    tree.environ["LG_WD"] = str(tree.root / "nowhere")
    assert lgpio_workdir(tree.machine(), LGPIO).severity is Severity.FAILURE
    assert lgpio_workdir(tree.machine(), PIGPIO).severity is Severity.INFO


def _closed_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
