"""The personalised invitation link (R7).

Made like Django's password-reset tokens: an HMAC under SECRET_KEY with a key salt,
over the invitation's id and a random per-invitation nonce. Nothing secret is
stored: the database holds the nonce, and without the server secret a dump alone
cannot produce a working link. "Create a new link" rotates the nonce, which
invalidates the old link. Comparison is in constant time.
"""

import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

KEY_SALT = "invitations.tokens.InvitationTokenGenerator"
# 40 hex characters = 160 bits of HMAC-SHA256.
DIGEST_LENGTH = 40
MAX_TOKEN_LENGTH = 64
# What make_token writes: a base36 id, a dash, the lower-case hex digest. Anything
# else (int() would also take "+1", " 1" or "1_0") is refused before the database.
TOKEN_SHAPE = re.compile(rf"[0-9a-z]{{1,13}}-[0-9a-f]{{{DIGEST_LENGTH}}}")


def _digest(invitation_id: int, nonce: str) -> str:
    return salted_hmac(
        KEY_SALT,
        f"{invitation_id}:{nonce}",
        secret=settings.SECRET_KEY,
        algorithm="sha256",
    ).hexdigest()[:DIGEST_LENGTH]


def make_token(invitation) -> str:
    digest = _digest(invitation.pk, invitation.link_nonce)
    return f"{int_to_base36(invitation.pk)}-{digest}"


def parse_token(token: str) -> int | None:
    """The invitation id a token claims, or None when it is not even well-formed."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not TOKEN_SHAPE.fullmatch(token):
        return None
    id_part = token.split("-", 1)[0]
    try:
        return base36_to_int(id_part)
    except ValueError:
        return None


def check_token(invitation, token: str) -> bool:
    """True when the token is this invitation's current link (genuine, not renewed)."""
    if invitation is None or parse_token(token) != invitation.pk:
        return False
    expected = make_token(invitation)
    return constant_time_compare(expected, token)


def link_for(invitation) -> str:
    """The absolute acceptance link, as it goes into the email."""
    path = reverse("invitations:accept", kwargs={"token": make_token(invitation)})
    return f"{settings.PORTAL_BASE_URL}{path}"


SESSION_SALT = f"{KEY_SALT}.session"


def session_proof(token: str) -> dict:
    """What the session keeps after the first hit (R7): the invitation id and an HMAC
    of the link, never the link itself, so the session table holds no usable link."""
    proof = salted_hmac(
        SESSION_SALT, token, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()
    return {"id": parse_token(token), "proof": proof}


def check_session_proof(invitation, data) -> bool:
    """True when ``data`` was made from this invitation's current link."""
    if invitation is None or not isinstance(data, dict):
        return False
    expected = session_proof(make_token(invitation))["proof"]
    return constant_time_compare(expected, str(data.get("proof", "")))
