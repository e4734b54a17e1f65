"""Group memberships of the user the doctor runs as."""

from __future__ import annotations

from tests.doctor.trees import PI4, PI_USER, Tree
from tether.config import ChipConfig, PortConfig
from tether.doctor import Group, Identity, Needs, Severity
from tether.doctor.groups import groups, wanted_groups

EVERYTHING = Needs(known=True, gpio_factory="lgpio", chips=(ChipConfig("hat"),),
                   ports=(PortConfig("saber", "/dev/ttyAMA0"),))


def test_the_groups_wanted_follow_the_config() -> None:
    assert list(wanted_groups(EVERYTHING)) == ["gpio", "i2c", "dialout"]
    assert list(wanted_groups(Needs(known=True, gpio_factory="pigpio"))) == []
    assert list(wanted_groups(Needs(known=True, chips=(ChipConfig("hat"),)))) == ["i2c"]
    assert list(wanted_groups(Needs.unknown())) == ["gpio", "i2c", "dialout"]


def test_each_group_is_in_this_login_added_but_not_yet_or_missing(tree: Tree) -> None:
    tree.model(PI4)
    table = {"gpio": Group(997, frozenset({"pi"})), "i2c": Group(998, frozenset({"pi"})),
             "dialout": Group(20)}
    tree.identity = Identity("pi", PI_USER, frozenset({PI_USER, 997}), table)
    found = {f.check: f for f in groups(tree.machine(), EVERYTHING)}
    assert found["group gpio"].severity is Severity.OK
    assert found["group i2c"].severity is Severity.WARNING
    assert found["group i2c"].fix == "log out and in again (or reboot)"
    assert found["group dialout"].says == "pi is not in dialout (serial motor controllers)"
    assert found["group dialout"].fix == "sudo usermod -aG dialout pi, then log out and in"


def test_a_group_this_system_lacks_is_a_warning_on_a_pi_and_a_note_elsewhere(
    tree: Tree,
) -> None:
    tree.identity = Identity("pi", PI_USER, frozenset({PI_USER}), {})
    needs = Needs(known=True, gpio_factory="lgpio")
    [elsewhere] = groups(tree.machine(), needs)
    assert (elsewhere.severity, elsewhere.says) == (
        Severity.INFO, "no group gpio on this machine (GPIO motors)")
    tree.model(PI4)
    [pi] = groups(tree.machine(), needs)
    assert pi.severity is Severity.WARNING


def test_root_is_told_to_run_tether_as_a_normal_user(tree: Tree) -> None:
    tree.identity = Identity("root", 0, frozenset({0}), {})
    [finding] = groups(tree.machine(), EVERYTHING)
    assert finding.severity is Severity.WARNING
    assert finding.says.startswith("running as root")
    assert "gpio, i2c, dialout" in finding.says
