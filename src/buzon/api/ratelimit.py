"""Requests per minute per token: a fixed one-minute window counted in Django's cache.

With the default cache (local memory) each web process counts on its own, so with
N gunicorn workers a client can make up to N times the limit; a shared cache backend
makes the limit exact. BUZON_API_RATE_LIMIT=0 turns limiting off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    exceeded: bool

    def headers(self) -> dict[str, str]:
        """Zendesk's rate-limit headers (both spellings it uses)."""
        return {
            "X-Rate-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }


def take(key: str, now: float | None = None) -> Allowance | None:
    """Count one request for `key`; None when rate limiting is off."""
    limit = settings.API_RATE_LIMIT
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    reset = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
    cache_key = f"buzon:api-rate:{key}:{window}"
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(cache_key, 1, timeout=WINDOW_SECONDS * 2)
        used = 1
    return Allowance(limit, max(0, limit - used), reset, used > limit)
