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

from core.addresses import fold_email
from core.client_ip import client_ip

logger = logging.getLogger("security")

# Never logged, whatever a caller passes: these names, and any name ending in
# one of them (new_password, otp_code, recovery_codes, api_token...).
FORBIDDEN_FIELDS = frozenset({"password", "code", "token", "secret", "otp"})


def _forbidden(name: str) -> bool:
    word = name.lower().rsplit("_", 1)[-1]
    return word in FORBIDDEN_FIELDS or word.removesuffix("s") in FORBIDDEN_FIELDS


def address_hash(email: str) -> str:
    """A keyed hash of the address: stable for one deployment, not reversible by
    trying known addresses without the secret key."""
    return hmac.new(
        settings.SECRET_KEY.encode(), fold_email(email).encode(), hashlib.sha256
    ).hexdigest()[:24]


def security_event(event: str, *, request=None, email: str = "", **fields) -> None:
    extra = {key: value for key, value in fields.items() if not _forbidden(key)}
    if email:
        extra["address_hash"] = address_hash(email)
    extra["client_ip"] = client_ip(request)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        extra.setdefault("user_id", user.pk)
    logger.info(event, extra={"event": event, "security": extra})
