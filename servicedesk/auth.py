"""Brute-force protection shared by the login page and the token endpoint: failures are counted per
username and per client address in the cache, and both are locked for a while past the limit."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(request, username: str) -> list[str]:
    user_hash = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{user_hash}", f"login-fail:ip:{client_ip(request)}"]


def login_blocked(request, username: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    user_key, ip_key = _keys(request, username)
    counts = cache.get_many([user_key, ip_key])
    # An address gets more room than a single account: several people may share one NAT.
    return counts.get(user_key, 0) >= limit or counts.get(ip_key, 0) >= limit * 4


def record_login_failure(request, username: str) -> None:
    for key in _keys(request, username):
        if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def reset_login_failures(request, username: str) -> None:
    cache.delete(_keys(request, username)[0])
