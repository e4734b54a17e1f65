"""pigpio's socket protocol as pigpio.py 1.78 speaks it and pigpiod V79 (pigpio.c) answers it.

Every number here is copied from pigpio.py 1.78 (command numbers, error codes, notification
flags) or pigpio.c/pigpio.h V79 (limits, tables); tests/fakes/test_pigpiod.py checks the ones
pigpio.py also defines against the installed library.
"""

from __future__ import annotations

import struct
from enum import IntEnum

#: A request: cmd, p1, p2, p3 (little-endian uint32); p3 bytes of extension follow.
REQUEST = struct.Struct("<IIII")
#: A reply: cmd, p1, p2 echoed, then the result (negative: a pigpio error code), all 32-bit.
REPLY = struct.Struct("<IIII")
#: A notification report: seqno u16, flags u16, tick u32 (µs), level u32 (GPIO 0-31).
REPORT = struct.Struct("<HHII")
#: pigpiod closes a socket whose extension is not smaller than this (CMD_MAX_EXTENSION).
MAX_EXTENSION = 1 << 16

VERSION = 79  # PIGPIO_VERSION that pigpio.py 1.78 goes with
DEFAULT_PORT = 8888


class Command(IntEnum):
    """Every _PI_CMD_* of pigpio.py 1.78; the fake simulates only some (see commands.py)."""

    MODES = 0
    MODEG = 1
    PUD = 2
    READ = 3
    WRITE = 4
    PWM = 5
    PRS = 6
    PFS = 7
    SERVO = 8
    WDOG = 9
    BR1 = 10
    BR2 = 11
    BC1 = 12
    BC2 = 13
    BS1 = 14
    BS2 = 15
    TICK = 16
    HWVER = 17
    NO = 18
    NB = 19
    NP = 20
    NC = 21
    PRG = 22
    PFG = 23
    PRRG = 24
    HELP = 25
    PIGPV = 26
    WVCLR = 27
    WVAG = 28
    WVAS = 29
    WVGO = 30
    WVGOR = 31
    WVBSY = 32
    WVHLT = 33
    WVSM = 34
    WVSP = 35
    WVSC = 36
    TRIG = 37
    PROC = 38
    PROCD = 39
    PROCR = 40
    PROCS = 41
    SLRO = 42
    SLR = 43
    SLRC = 44
    PROCP = 45
    MICRO = 46
    MILLI = 47
    PARSE = 48
    WVCRE = 49
    WVDEL = 50
    WVTX = 51
    WVTXR = 52
    WVNEW = 53
    I2CO = 54
    I2CC = 55
    I2CRD = 56
    I2CWD = 57
    I2CWQ = 58
    I2CRS = 59
    I2CWS = 60
    I2CRB = 61
    I2CWB = 62
    I2CRW = 63
    I2CWW = 64
    I2CRK = 65
    I2CWK = 66
    I2CRI = 67
    I2CWI = 68
    I2CPC = 69
    I2CPK = 70
    SPIO = 71
    SPIC = 72
    SPIR = 73
    SPIW = 74
    SPIX = 75
    SERO = 76
    SERC = 77
    SERRB = 78
    SERWB = 79
    SERR = 80
    SERW = 81
    SERDA = 82
    GDC = 83
    GPW = 84
    HC = 85
    HP = 86
    CF1 = 87
    CF2 = 88
    BI2CC = 89
    BI2CO = 90
    BI2CZ = 91
    I2CZ = 92
    WVCHA = 93
    SLRI = 94
    CGI = 95
    CSI = 96
    FG = 97
    FN = 98
    NOIB = 99
    WVTXM = 100
    WVTAT = 101
    PADS = 102
    PADG = 103
    FO = 104
    FC = 105
    FR = 106
    FW = 107
    FS = 108
    FL = 109
    SHELL = 110
    BSPIC = 111
    BSPIO = 112
    BSPIX = 113
    BSCX = 114
    EVM = 115
    EVT = 116
    PROCU = 117
    WVCAP = 118


def command_name(cmd: int) -> str:
    """pigpio's name for a command number, or CMD<n> for a number pigpio does not define."""
    try:
        return Command(cmd).name
    except ValueError:
        return f"CMD{cmd}"


# Error codes (pigpio.py 1.78 names and values) the fake answers with.
PI_BAD_USER_GPIO = -2
PI_BAD_GPIO = -3
PI_BAD_MODE = -4
PI_BAD_LEVEL = -5
PI_BAD_PUD = -6
PI_BAD_PULSEWIDTH = -7
PI_BAD_DUTYCYCLE = -8
PI_BAD_WDOG_TIMEOUT = -15
PI_BAD_DUTYRANGE = -21
PI_NO_HANDLE = -24
PI_BAD_HANDLE = -25
PI_NOT_PERMITTED = -41
PI_SOME_PERMITTED = -42
PI_UNKNOWN_COMMAND = -88
PI_NOT_PWM_GPIO = -92
PI_NOT_SERVO_GPIO = -93
PI_NOT_HPWM_GPIO = -95
PI_BAD_HPWM_FREQ = -96
PI_BAD_HPWM_DUTY = -97
PI_BAD_FILTER = -125

ERROR_NAMES = {
    code: name for name, code in globals().items() if name.startswith("PI_") and code < 0
}

# Notification report flags (pigpio.py NTFY_FLAGS_*).
NTFY_FLAGS_EVENT = 1 << 7
NTFY_FLAGS_ALIVE = 1 << 6
NTFY_FLAGS_WDOG = 1 << 5
NTFY_FLAGS_GPIO = 31
NOTIFY_SLOTS = 32  # PI_NOTIFY_SLOTS

# Modes (pigpio.py INPUT, OUTPUT, ALT0..ALT5) and pulls (PUD_*).
INPUT, OUTPUT = 0, 1
ALT0, ALT1, ALT2, ALT3, ALT4, ALT5 = 4, 5, 6, 7, 3, 2
PUD_OFF, PUD_DOWN, PUD_UP = 0, 1, 2

# Limits from pigpio.h V79.
MAX_USER_GPIO = 31
MAX_GPIO = 53
MIN_DUTYCYCLE_RANGE, MAX_DUTYCYCLE_RANGE = 25, 40_000
DEFAULT_DUTYCYCLE_RANGE = 255
MIN_SERVO_PULSEWIDTH, MAX_SERVO_PULSEWIDTH = 500, 2500
MAX_WDOG_TIMEOUT = 60_000  # ms
MAX_STEADY = 300_000  # µs, glitch filter
HW_PWM_RANGE = 1_000_000
HW_PWM_MAX_FREQ_2711 = 187_500_000
CLK_PLLD_FREQ_2711 = 750_000_000

# A Raspberry Pi 4 Model B (revision code 0xc03111): pigpiod lets clients update GPIO 2-27.
PI4B_REVISION = 0xC03111
PI4B_UPDATE_MASK = 0x0000000FFFFFFC  # PI_DEFAULT_UPDATE_MASK_PI4B
