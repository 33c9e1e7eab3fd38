"""R39: ``Idempotency-Key`` on POST: the same key runs the request at most once.

The first call with a key claims it (token, key, fingerprint of method, path and
body); once the handler has answered, the status and body are stored, and the
same key with the same request answers them again without running anything. The
same key with another request is a 422 (``idempotency_key_reused``); the same
key while the first call still runs is a 409 (``idempotency_in_progress``). A
server error frees the key, so the client can try again. Keys are kept 24 hours.

The stored body can hold something shown once (an invitation link): it is
stored encrypted (Fernet), with a key derived from SECRET_KEY and the
idempotency key itself, which only the client knows in clear (only its SHA-256
is stored). A database dump alone can read none of the stored bodies.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.utils.encoders import JSONEncoder

from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
PATTERN = r"^[\x21-\x7e]{1,255}$"
LIFETIME = timedelta(hours=24)
# Response headers replayed with the stored body.
KEPT_HEADERS = ("Location",)


class InvalidKey(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _(
        "Idempotency-Key must be 1 to 255 visible ASCII characters, without spaces."
    )
    default_code = "invalid_idempotency_key"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request: "
        "use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class InProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "A request with this Idempotency-Key is still running: try again in a moment."
    )
    default_code = "idempotency_in_progress"


@dataclass
class Stored:
    status_code: int
    data: object
    headers: dict


def _digest(key: str) -> str:
    # The key is stored only as its SHA-256: it is the secret the body's
    # encryption key is derived from.
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body or b""):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _fernet(key: str) -> Fernet:
    derived = hmac.new(
        settings.SECRET_KEY.encode(),
        b"api-idempotency:" + key.encode(),
        hashlib.sha256,
    ).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def clean_key(value) -> str | None:
    if value is None:
        return None
    if not (1 <= len(value) <= MAX_LENGTH) or not all(
        "\x21" <= ch <= "\x7e" for ch in value
    ):
        raise InvalidKey()
    return value


def claim(*, token, key: str, fingerprint: str):
    """Claim ``key`` for this request. Returns the new record (run the handler,
    then :func:`complete` or :func:`release`) or a :class:`Stored` response to
    answer again. Raises :class:`KeyReused` or :class:`InProgress`."""
    now = timezone.now()
    digest = _digest(key)
    # Past their lifetime, keys are forgotten (purged as they are met).
    IdempotencyKey.objects.filter(created_at__lt=now - LIFETIME).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                token=token, key=digest, fingerprint=fingerprint
            )
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.filter(token=token, key=digest).first()
    if existing is None:  # released between our insert and our read
        raise InProgress()
    if existing.fingerprint != fingerprint:
        raise KeyReused()
    if existing.status_code is None:
        raise InProgress()
    try:
        data = json.loads(_fernet(key).decrypt(existing.body["sealed"].encode()))
    except (InvalidToken, KeyError, TypeError, ValueError):
        # SECRET_KEY changed: the stored answer can't be read; don't run twice.
        raise KeyReused() from None
    return Stored(existing.status_code, data, existing.headers or {})


def complete(record: IdempotencyKey, *, key: str, response) -> None:
    """Store the handler's answer (encrypted) for the next call with the key."""
    plain = json.dumps(getattr(response, "data", None), cls=JSONEncoder)
    sealed = _fernet(key).encrypt(plain.encode()).decode()
    headers = {
        name: response[name] for name in KEPT_HEADERS if response.has_header(name)
    }
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=response.status_code, body={"sealed": sealed}, headers=headers
    )


def release(record: IdempotencyKey) -> None:
    """A server error: forget the key so the client can try again."""
    IdempotencyKey.objects.filter(pk=record.pk).delete()
