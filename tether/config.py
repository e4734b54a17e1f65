"""Moved to tether.robot.config; this module keeps the old import path working."""

from tether.robot.config import (
    ApiKey,
    BaseConfig,
    ChipConfig,
    MotorConfig,
    PortConfig,
    RobotConfig,
    ServerConfig,
    SimConfig,
    WebConfig,
    load_config,
    parse_config,
    parse_listen,
)

__all__ = ["ApiKey", "BaseConfig", "ChipConfig", "MotorConfig", "PortConfig", "RobotConfig",
           "ServerConfig", "SimConfig", "WebConfig", "load_config", "parse_config",
           "parse_listen"]
