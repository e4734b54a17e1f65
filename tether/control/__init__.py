"""Closed-loop pieces for encoded motors and bases: PID, stall/runaway check, odometry (pure)."""

from tether.control.odometry import DifferentialOdometry, Pose, geo_point
from tether.control.pid import PID, PidGains, check_gain
from tether.control.stall import (
    FaultStop,
    MotorFault,
    Reason,
    StallDetector,
    StallSettings,
    expected_rpm,
)

__all__ = [
    "PID",
    "DifferentialOdometry",
    "FaultStop",
    "MotorFault",
    "PidGains",
    "Pose",
    "Reason",
    "StallDetector",
    "StallSettings",
    "check_gain",
    "expected_rpm",
    "geo_point",
]
