"""Security events as JSON log lines (R26–R29), never with a password or code.

``security_event("sign_in_failed", request=request, email=address)`` writes one
record on the "security" logger with the event's name, a hash of the (folded)
address, the client address and any extra fields given. Hashing keeps addresses
out of log stores while still letting an analyst group the events of one account.
"""

import hashlib
import hmac
import logging

from django.conf import settings

from core.client_ip import client_ip

logger = logging.getLogger("security")

FORBIDDEN_FIELDS = frozenset({"password", "code", "token", "secret"})


def address_hash(email: str) -> str:
    """A keyed hash of the address: stable for one deployment, not reversible by
    trying known addresses without the secret key."""
    return hmac.new(
        settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256
    ).hexdigest()[:24]


def security_event(event: str, *, request=None, email: str = "", **fields) -> None:
    extra = {
        key: value for key, value in fields.items() if key not in FORBIDDEN_FIELDS
    }
    if email:
        extra["address_hash"] = address_hash(email)
    extra["client_ip"] = client_ip(request)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        extra.setdefault("user_id", user.pk)
    logger.info(event, extra={"event": event, "security": extra})
