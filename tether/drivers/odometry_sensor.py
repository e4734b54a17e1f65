"""Viam's wheeled-odometry movement sensor, over an encoded base's pose."""

from __future__ import annotations

from tether.contract.properties import MovementSensorProperties
from tether.control.odometry import Pose, geo_point
from tether.drivers.encoded_base import EncodedBase
from tether.drivers.validate import check_option

Vector = tuple[float, float, float]


class OdometrySensor:
    """What a client reads of a base's odometry, in Viam's units and frames: position as a
    GeoPoint (the start at `latitude`, `longitude`, facing north), linear velocity in m/s with
    +y forward, angular velocity in deg/s about +z (+ left), orientation as theta about +z,
    and a compass heading (clockwise from the start direction)."""

    kind = "movement_sensor"

    def __init__(
        self, name: str, base: EncodedBase, *, latitude: float = 0.0, longitude: float = 0.0
    ) -> None:
        self.name = name
        self.base = base
        self.latitude = check_option(latitude, f"odometry {name!r} latitude", -90.0, 90.0)
        self.longitude = check_option(longitude, f"odometry {name!r} longitude", -180.0, 180.0)

    def pose(self) -> Pose:
        """The base's pose now."""
        return self.base.pose()

    def position(self) -> tuple[float, float, float]:
        """(latitude, longitude, altitude in m): odometry knows no altitude, so 0."""
        latitude, longitude = geo_point(self.pose(), self.latitude, self.longitude)
        return latitude, longitude, 0.0

    def linear_velocity(self) -> Vector:
        """m/s; the base moves along +y (Viam's wheeled odometry)."""
        return 0.0, self.pose().mm_per_s / 1000.0, 0.0

    def angular_velocity(self) -> Vector:
        """deg/s about +z, + turning left."""
        return 0.0, 0.0, self.pose().deg_per_s

    def orientation(self) -> float:
        """Theta in degrees about +z, in [0, 360) (an orientation vector (0, 0, 1, theta))."""
        return self.pose().theta_deg

    def compass_heading(self) -> float:
        """Degrees clockwise from the start direction, in [0, 360)."""
        return self.pose().compass_deg

    def properties(self) -> MovementSensorProperties:
        """Everything but linear acceleration."""
        return MovementSensorProperties(
            linear_velocity_supported=True, angular_velocity_supported=True,
            orientation_supported=True, position_supported=True, compass_heading_supported=True,
        )

    def reset(self) -> None:
        """Start the pose again from (0, 0, 0) at the wheels' present counts."""
        self.base.odometry.reset()

    def close(self) -> None:
        """Nothing of its own to release (the base owns the odometry)."""
