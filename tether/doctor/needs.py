"""What a rover config needs from the machine; without a config the doctor checks every family."""

from __future__ import annotations

from dataclasses import dataclass

from tether.config import ChipConfig, PortConfig, RobotConfig


@dataclass(frozen=True)
class Needs:
    """The hardware families a config drives (`known` False: no config read, assume any)."""

    known: bool
    gpio_factory: str | None = None  # the pin factory of the config's GPIO motors, if any
    chips: tuple[ChipConfig, ...] = ()
    ports: tuple[PortConfig, ...] = ()
    simulated: bool = False

    @classmethod
    def unknown(cls) -> Needs:
        """No config: the default pin factory (lgpio), and every bus as advice."""
        return cls(known=False, gpio_factory="lgpio")

    @classmethod
    def of(cls, config: RobotConfig) -> Needs:
        """What this config's motors need; a simulated config (or mock pins) needs no hardware."""
        if config.sim:
            return cls(known=True, simulated=True)
        gpio = any(m.driver == "gpio" for m in config.motors) and config.pin_factory != "mock"
        return cls(known=True, gpio_factory=config.pin_factory if gpio else None,
                   chips=config.chips, ports=config.ports)

    def uses_kernel_lines(self) -> bool:
        """True when GPIO motors go through the kernel's GPIO character device (lgpio)."""
        return self.gpio_factory == "lgpio"
