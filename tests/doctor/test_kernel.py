"""The kernel's GPIO release behaviour, read from faked /sys, /proc/cmdline and config.txt."""

from __future__ import annotations

import pytest

from tests.doctor.trees import PI4, PI5, Tree
from tether.doctor import Needs, Severity
from tether.doctor.kernel import backend_after_crash, board, gpio_release, strict_gpiod_in

LGPIO = Needs(known=True, gpio_factory="lgpio")


def test_a_stock_pi_kernel_keeps_released_outputs_and_that_is_a_safety_finding(
    tree: Tree,
) -> None:
    tree.model(PI4)
    tree.cmdline("console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 quiet")
    tree.config_txt("dtparam=i2c_arm=on\n")
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.SAFETY
    assert "stay driven at their last level" in finding.says
    assert "Raspberry Pi kernels keep released outputs" in finding.says
    config_txt = tree.root / "boot" / "firmware" / "config.txt"
    assert f"add the line dtparam=strict_gpiod to {config_txt}" in finding.fix
    assert "pinctrl_bcm2835.persist_gpio_outputs=n" in finding.fix


def test_the_running_kernels_parameter_n_means_released_lines_become_inputs(
    tree: Tree,
) -> None:
    tree.model(PI4)
    tree.parameter("pinctrl_bcm2835", "persist_gpio_outputs", "N")
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.OK
    assert "return to inputs" in finding.says
    assert "pinctrl_bcm2835/parameters/persist_gpio_outputs = N" in finding.says


def test_the_running_kernel_wins_over_config_txt_and_asks_for_a_reboot(tree: Tree) -> None:
    tree.model(PI4)
    tree.parameter("pinctrl_bcm2835", "persist_gpio_outputs", "Y")
    tree.config_txt("[all]\ndtparam=audio=on\ndtparam=strict_gpiod\n")
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.SAFETY
    assert finding.fix.startswith("dtparam=strict_gpiod is set (")
    assert "config.txt line 3) but the running kernel has not applied it: reboot" in finding.fix


def test_a_pi5_reads_the_rp1_driver_not_the_bcm2835_one(tree: Tree) -> None:
    tree.model(PI5, via_sys=True)
    tree.cmdline("coherent_pool=1M pinctrl_bcm2835.persist_gpio_outputs=n quiet")
    assert gpio_release(tree.machine(), LGPIO).severity is Severity.SAFETY
    tree.cmdline("coherent_pool=1M pinctrl_rp1.persist_gpio_outputs=n quiet")
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.OK
    assert "pinctrl_rp1.persist_gpio_outputs=n on" in finding.says


def test_the_safety_fix_on_a_pi5_names_the_rp1_parameter(tree: Tree) -> None:
    tree.model(PI5)
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.SAFETY
    assert "pinctrl_rp1.persist_gpio_outputs=n" in finding.fix


@pytest.mark.parametrize(("cmdline", "keeps"), [
    ("pinctrl_bcm2835.persist_gpio_outputs=n", False),
    ("pinctrl-bcm2835.persist_gpio_outputs=0", False),  # the kernel reads - as _
    ("pinctrl_bcm2835.persist_gpio_outputs=n pinctrl_bcm2835.persist_gpio_outputs=y", True),
    ("pinctrl_bcm2835.persist_gpio_outputs=y pinctrl_bcm2835.persist_gpio_outputs=off", False),
    ("pinctrl_bcm2835.strict_gpiod=y", False),  # the parameter's name in its first release
    ("pinctrl_bcm2835.strict_gpiod", False),  # a bool parameter without a value is true
    ("pinctrl_bcm2835.strict_gpiod=n", True),
])
def test_command_line_parameters_are_read_as_the_kernel_reads_them(
    tree: Tree, cmdline: str, keeps: bool,
) -> None:
    tree.model(PI4)
    tree.cmdline(f"console=tty1 {cmdline} quiet")
    expected = Severity.SAFETY if keeps else Severity.OK
    assert gpio_release(tree.machine(), LGPIO).severity is expected


def test_the_first_releases_strict_gpiod_parameter_in_sys_is_understood(tree: Tree) -> None:
    tree.model(PI4)
    tree.parameter("pinctrl_bcm2835", "strict_gpiod", "Y")
    assert gpio_release(tree.machine(), LGPIO).severity is Severity.OK


def test_a_kernel_with_the_driver_but_no_parameter_predates_the_switch(tree: Tree) -> None:
    tree.model(PI4)
    tree.write("sys/module/pinctrl_bcm2835/uevent", "")
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.SAFETY
    assert "predates the switch" in finding.says


def test_off_a_pi_the_release_is_not_judged(tree: Tree) -> None:
    tree.cmdline("console=ttyS0 quiet")
    finding = gpio_release(tree.machine(), LGPIO)
    assert finding.severity is Severity.INFO
    assert "not a Raspberry Pi" in finding.says


def test_a_config_without_kernel_driven_gpio_gets_no_safety_finding(tree: Tree) -> None:
    tree.model(PI4)
    for needs in (Needs(known=True, gpio_factory="pigpio"), Needs(known=True)):
        finding = gpio_release(tree.machine(), needs)
        assert finding.severity is Severity.INFO
        assert "stay driven" in finding.says


def test_pigpio_and_rpigpio_are_warned_to_keep_driving_after_tether_dies() -> None:
    pigpio = backend_after_crash(Needs(known=True, gpio_factory="pigpio"))
    rpigpio = backend_after_crash(Needs(known=True, gpio_factory="rpigpio"))
    assert pigpio is not None and pigpio.severity is Severity.WARNING
    assert "pigpiod keeps PWM" in pigpio.says
    assert rpigpio is not None and "levels stay" in rpigpio.says
    assert backend_after_crash(LGPIO) is None


@pytest.mark.parametrize(("text", "found"), [
    ("dtparam=strict_gpiod\n", "line 1"),
    ("dtparam=strict_gpiod=on\n", "line 1"),
    ("dtparam=i2c_arm=on,strict_gpiod,spi=on\n", "line 1"),
    ("# dtparam=strict_gpiod\n", None),
    ("dtparam=strict_gpiod=off\n", None),
    ("[none]\ndtparam=strict_gpiod\n", None),
    ("[pi4]\ndtparam=strict_gpiod\n[all]\n", "line 2 (under [pi4])"),
    ("dtparam=strict_gpiod_x\n", None),
])
def test_config_txt_lines_that_set_strict_gpiod(tree: Tree, text: str, found: str | None) -> None:
    where = strict_gpiod_in(tree.config_txt(text))
    assert (where if where is None else where.partition("config.txt ")[2]) == found


def test_config_txt_includes_are_followed(tree: Tree) -> None:
    tree.write("boot/firmware/extra.txt", "dtparam=strict_gpiod\n")
    where = strict_gpiod_in(tree.config_txt("include extra.txt\n"))
    assert where is not None and where.endswith("extra.txt line 1")


def test_an_older_os_keeps_config_txt_in_boot(tree: Tree) -> None:
    tree.model(PI4)
    tree.config_txt("dtparam=strict_gpiod\n", folder="boot")
    finding = gpio_release(tree.machine(), LGPIO)
    assert f"({tree.root}/boot/config.txt line 1)" in finding.fix


def test_the_board_says_when_this_is_not_a_pi(tree: Tree) -> None:
    missing = board(tree.machine())
    assert missing.severity is Severity.INFO
    assert missing.says.startswith("not a Raspberry Pi (no device-tree model in ")
    tree.model("Pine64 RockPro64 v2.1")
    other = board(tree.machine())
    assert other.says.startswith("not a Raspberry Pi (Pine64 RockPro64 v2.1)")
    tree.model(PI5, via_sys=True)
    (tree.root / "proc" / "device-tree" / "model").unlink()
    pi = board(tree.machine())
    assert (pi.severity, pi.says) == (Severity.OK, PI5)
