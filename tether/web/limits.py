"""Per-socket message rate limit: a token bucket, so a page's bursts pass and a flood does not."""

from __future__ import annotations

import time
from collections.abc import Callable

#: The page sends 20 frames a second; this leaves room for a STOP or a key change on top.
MAX_RATE_HZ = 50.0
BURST = 50.0


class RateLimit:
    """Allows `rate` messages a second on average, `burst` at once; counts what it refused."""

    def __init__(
        self,
        rate: float = MAX_RATE_HZ,
        burst: float = BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not rate > 0 or not burst >= 1:
            raise ValueError(f"rate={rate!r}, burst={burst!r}: expected rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.refused = 0
        self._tokens = burst
        self._last = clock()

    def allow(self) -> bool:
        """Take one token if there is one; False (and counted) when the socket is too fast."""
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.refused += 1
        return False
