"""R38: API tokens. Every write to them, and the lookup the API authenticates with.

A key reads ``rp_<prefix>_<secret>``: ``rp_`` says what it is (secret scanners
and people recognise it), the prefix is stored in clear to tell tokens apart,
the whole key is stored only as its SHA-256. The key is shown once, by the page
that creates it, and can never be recovered.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from partners.models import ApiToken, PartnerMembership, PartnerUserEvent

KEY_PREFIX = "rp_"
MAX_LIFETIME_DAYS = 365
# last_used_at is written at most this often per token (not on every call).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _event(token: ApiToken, *, actor, kind: str) -> None:
    PartnerUserEvent.objects.create(
        partner_id=token.partner_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject_id=token.user_id,
        kind=kind,
        details={"name": token.name, "prefix": token.prefix, "scope": token.scope},
        at=timezone.now(),
    )


@transaction.atomic
def token_create(*, user, name: str, scope: str, expires_in_days: int):
    """Create a token for ``user`` (a partner user). Returns ``(token, key)``;
    the key exists nowhere else afterwards."""
    membership = (
        PartnerMembership.objects.select_related("partner").filter(user=user).first()
    )
    if membership is None or not user.is_active:
        raise DomainError("not_partner_user", _("Only partner users have API tokens."))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(
            "invalid_name", _("Give the token a name of 1 to 100 characters.")
        )
    if scope not in ApiToken.Scope.values:
        raise DomainError("invalid_scope", _("Choose read only or read and write."))
    if not 1 <= int(expires_in_days) <= MAX_LIFETIME_DAYS:
        raise DomainError(
            "invalid_expiry", _("A token expires after 1 to 365 days at most.")
        )
    now = timezone.now()
    prefix, key = _new_key()
    token = ApiToken.objects.create(
        user=user,
        partner=membership.partner,
        name=name,
        scope=scope,
        prefix=prefix,
        key_hash=hash_key(key),
        created_at=now,
        expires_at=now + timedelta(days=int(expires_in_days)),
    )
    _event(token, actor=user, kind=PartnerUserEvent.Kind.TOKEN_CREATED)
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke at once; a second revoke changes nothing."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if updated:
        _event(token, actor=actor, kind=PartnerUserEvent.Kind.TOKEN_REVOKED)
    token.refresh_from_db()
    return token


def tokens_revoke_for_user(*, user, actor) -> int:
    """R26: a removed person's tokens stop (called inside the removal)."""
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token_revoke(token=token, actor=actor)
    return len(tokens)


def authenticate(key: str) -> ApiToken | None:
    """The usable token of ``key``, with its user, partner and membership loaded;
    None for an unknown, revoked or expired key, or a removed user."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user__partner_membership__partner")
        .filter(key_hash=hash_key(key))
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    membership = getattr(token.user, "partner_membership", None)
    if membership is None or membership.partner_id != token.partner_id:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
