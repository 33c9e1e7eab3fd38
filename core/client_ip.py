"""The client's address (R29), trusting only the proxies we were told about."""

import ipaddress

from django.conf import settings


def _address(value: str) -> str:
    """The address in one X-Forwarded-For entry or REMOTE_ADDR, normalised
    ("::ffff:192.0.2.1" → "192.0.2.1", "[2001:db8::1]:443" → "2001:db8::1",
    "192.0.2.1:443" → "192.0.2.1"), or "" when it is not an IP address."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = n > 0 the n-th X-Forwarded-For
    entry from the right: each trusted proxy appends the address it saw, so the
    entries left of those are whatever the client chose to send. An entry that is
    not an IP address (garbage from a misconfigured proxy) falls back to
    REMOTE_ADDR rather than giving the client a counter of its choosing.
    """
    if request is None:
        return ""
    remote = _address(request.META.get("REMOTE_ADDR", "") or "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not header.strip():
        return remote
    # Empty entries keep their place: dropping them would shift a client-made
    # entry into a trusted position.
    forwarded = [part.strip() for part in header.split(",")]
    # Fewer entries than proxies: every entry came from a trusted proxy, and the
    # leftmost is the nearest to the client we know.
    entry = forwarded[0] if len(forwarded) < trusted else forwarded[-trusted]
    return _address(entry) or remote


def throttle_address(address: str) -> str:
    """What sign-in limits count per client: the address itself for IPv4, its
    /64 network for IPv6 (one subscriber's line hands out a whole /64, so single
    IPv6 addresses would give an attacker endless fresh counters)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
