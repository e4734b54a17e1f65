"""Wheel encoder decoders: pure logic fed the edges a pin library reports (no pin library here)."""

from tether.encoders.counter import EdgeCounter, EncoderReading
from tether.encoders.quadrature import CHANNEL_A, CHANNEL_B, QuadratureDecoder
from tether.encoders.single import SingleChannelDecoder
from tether.encoders.speed import TICK_WRAP, EdgeSpeed

__all__ = [
    "CHANNEL_A",
    "CHANNEL_B",
    "TICK_WRAP",
    "EdgeCounter",
    "EdgeSpeed",
    "EncoderReading",
    "QuadratureDecoder",
    "SingleChannelDecoder",
]
