"""Moved to tether.demo.web; this module keeps the old import path working."""

from tether.demo.web import run_web_demo

__all__ = ["run_web_demo"]
