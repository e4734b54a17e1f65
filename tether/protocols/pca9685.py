"""PCA9685 16-channel PWM chip: registers, prescale and the channel encoding (NXP datasheet)."""

from __future__ import annotations

import math

from tether.errors import InvalidCommand

MODE1, MODE2 = 0x00, 0x01
LED0_ON_L = 0x06
ALL_LED_ON_L, ALL_LED_OFF_L, ALL_LED_OFF_H = 0xFA, 0xFC, 0xFD
PRE_SCALE = 0xFE
RESTART, AUTO_INCREMENT, SLEEP, ALLCALL = 0x80, 0x20, 0x10, 0x01
OUTDRV = 0x04
FULL = 0x10  # bit 4 of ON_H (full on) / OFF_H (full off); full off wins
MODE1_POWER_ON = 0x11
PRESCALE_POWER_ON = 0x1E
OSCILLATOR_HZ = 25_000_000
PRESCALE_MIN, PRESCALE_MAX = 3, 255
CHANNELS = range(16)
STEPS = 4096


def channel_register(channel: int) -> int:
    """First of the channel's four registers (ON_L, ON_H, OFF_L, OFF_H)."""
    if channel not in CHANNELS:
        raise InvalidCommand(f"PCA9685 channel={channel!r}: expected 0-15")
    return LED0_ON_L + 4 * channel


def prescale_for(frequency: float) -> int:
    """prescale = round(25 MHz / (4096 * f)) - 1, which must land in 3-255 (about 24-1526 Hz)."""
    low, high = frequency_for(PRESCALE_MAX), frequency_for(PRESCALE_MIN)
    expected = f"PCA9685 frequency={frequency!r}: expected Hz in [{low:.0f}, {high:.0f}]"
    if (
        isinstance(frequency, bool)
        or not isinstance(frequency, int | float)
        or not math.isfinite(frequency)
        or frequency <= 0
    ):
        raise InvalidCommand(expected)
    prescale = round(OSCILLATOR_HZ / (STEPS * frequency)) - 1
    if not PRESCALE_MIN <= prescale <= PRESCALE_MAX:
        raise InvalidCommand(expected)
    return prescale


def frequency_for(prescale: int) -> float:
    """The PWM frequency a prescale value gives."""
    return OSCILLATOR_HZ / (STEPS * (prescale + 1))


def encode_duty(duty: float) -> bytes:
    """[ON_L, ON_H, OFF_L, OFF_H] for duty in [0, 1]; 0 and 1 use the full-off/full-on bits."""
    if not 0.0 <= duty <= 1.0:
        raise InvalidCommand(f"PCA9685 duty={duty!r}: expected a number in [0, 1]")
    if duty == 0.0:
        return bytes((0, 0, 0, FULL))
    if duty == 1.0:
        return bytes((0, FULL, 0, 0))
    off = min(STEPS - 1, max(1, round(duty * STEPS)))
    return bytes((0, 0, off & 0xFF, off >> 8))


def decode_duty(registers: bytes) -> float:
    """The duty four channel registers produce, as the chip does it (full off wins)."""
    on_l, on_h, off_l, off_h = registers
    if off_h & FULL:
        return 0.0
    if on_h & FULL:
        return 1.0
    on, off = (on_h & 0x0F) << 8 | on_l, (off_h & 0x0F) << 8 | off_l
    return ((off - on) % STEPS) / STEPS
