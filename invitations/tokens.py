"""The personalised invitation link (R7).

Made like Django's password-reset tokens: an HMAC under SECRET_KEY with a key salt,
over the invitation's id and a random per-invitation nonce; checked against
SECRET_KEY_FALLBACKS too, so rotating the key does not break links already sent
(until the old key leaves the fallbacks). Nothing secret is stored: the database
holds the nonce, and without the server secret a dump alone cannot produce a
working link. "Create a new link" rotates the nonce, which invalidates the old
link. Comparison is in constant time.
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


def _secrets() -> list:
    """The keys a link may be checked against: the current one, then the previous
    ones being rotated out (like Django's PasswordResetTokenGenerator)."""
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def _digest(invitation_id: int, nonce: str, secret) -> str:
    return salted_hmac(
        KEY_SALT,
        f"{invitation_id}:{nonce}",
        secret=secret,
        algorithm="sha256",
    ).hexdigest()[:DIGEST_LENGTH]


def _token(invitation, secret) -> str:
    digest = _digest(invitation.pk, invitation.link_nonce, secret)
    return f"{int_to_base36(invitation.pk)}-{digest}"


def make_token(invitation) -> str:
    """The link's token, always under the current SECRET_KEY."""
    return _token(invitation, settings.SECRET_KEY)


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
    # A link made before a key rotation keeps working while its key is a fallback.
    return any(
        constant_time_compare(_token(invitation, secret), token)
        for secret in _secrets()
    )


# Where each kind of request's link leads (R8 for reseller requests, R32 for
# admin relationships): a URL name, so no app below needs the one above.
LINK_URL_NAMES = {
    "reseller": "invitations:accept",
    "admin_relationship": "gdap:approve",
}


def link_for(invitation) -> str:
    """The absolute acceptance (or approval) link, as it goes into the email."""
    path = reverse(
        LINK_URL_NAMES[invitation.kind], kwargs={"token": make_token(invitation)}
    )
    return f"{settings.PORTAL_BASE_URL}{path}"


SESSION_SALT = f"{KEY_SALT}.session"


def _proof(token: str, secret) -> str:
    return salted_hmac(
        SESSION_SALT, token, secret=secret, algorithm="sha256"
    ).hexdigest()


def session_proof(token: str) -> dict:
    """What the session keeps after the first hit (R7): the invitation id and an HMAC
    of the link, never the link itself, so the session table holds no usable link."""
    return {"id": parse_token(token), "proof": _proof(token, settings.SECRET_KEY)}


def check_session_proof(invitation, data) -> bool:
    """True when ``data`` was made from this invitation's current link, under the
    current key or a fallback (the link itself may predate a rotation)."""
    if invitation is None or not isinstance(data, dict):
        return False
    given = str(data.get("proof", ""))
    secrets = _secrets()
    return any(
        constant_time_compare(_proof(_token(invitation, link_key), proof_key), given)
        for link_key in secrets
        for proof_key in secrets
    )
