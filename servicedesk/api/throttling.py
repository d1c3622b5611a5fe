"""Throttles keyed by the client's address as the server saw it.

DRF's own `get_ident` trusts `X-Forwarded-For` when `NUM_PROXIES` is unset, so a client could reset its limit
by sending a new forged header with every try. These throttles use REMOTE_ADDR (servicedesk.auth.client_ip),
the same address the login lockout counts; behind a proxy, set REMOTE_ADDR from the proxy's header there."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from servicedesk.auth import client_ip


class ClientAddressThrottle(SimpleRateThrottle):
    """Limit by client address, signed in or not. Subclasses name their `scope` (a DEFAULT_THROTTLE_RATES key)."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class TokenThrottle(ClientAddressThrottle):
    scope = "token"
