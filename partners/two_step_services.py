"""R28: every write of two-step verification (devices, recovery codes, the
second step's throttled check). Codes are never logged or stored in clear
beyond what django-otp keeps (the authenticator's key, the unused recovery
codes)."""

import base64
import secrets
from binascii import unhexlify

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from core import throttle
from core.client_ip import client_ip, throttle_address
from core.security_log import security_event

RECOVERY_CODE_COUNT = 10
# The fixed demo secret of DESIGN 8.8 (base32), for seed_demo and the tests.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"

CODE_ACCOUNT_LIMIT = "second-step:account"
CODE_CLIENT_LIMIT = "second-step:client"


class CodeThrottled(Exception):
    """Too many wrong codes for this account (or from this client address)."""

    def __init__(self, limit: str):
        super().__init__(limit)
        self.limit = limit


# --- Keys and codes ----------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh 160-bit secret, base32 as authenticator apps show it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def secret_to_hex(secret: str) -> str:
    """base32 (what people type and apps show) → hex (TOTPDevice.key)."""
    cleaned = "".join(secret.split()).upper()
    cleaned += "=" * (-len(cleaned) % 8)
    return base64.b32decode(cleaned).hex()


def hex_to_secret(key: str) -> str:
    return base64.b32encode(unhexlify(key)).decode("ascii")


def normalise_code(code: str) -> str:
    """What people type: spaces and hyphens dropped, lower case (recovery codes)."""
    return "".join(ch for ch in code if ch not in " -\t").lower()


def _totp_t_for(key_hex: str, code: str) -> int | None:
    """The time step at which ``code`` is the key's code (±1 step), or None."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6, drift=0)
    if totp.verify(int(code), tolerance=1):
        return totp.t()
    return None


def code_buckets(*, user, request) -> list[throttle.Bucket]:
    """R28/R29: wrong codes count per (account, client address) and per client
    address, like passwords."""
    where = throttle_address(client_ip(request))
    return [
        throttle.Bucket(CODE_CLIENT_LIMIT, (where,), settings.LOGIN_IP_FAILURE_LIMIT),
        throttle.Bucket(
            CODE_ACCOUNT_LIMIT, (str(user.pk), where), settings.CODE_FAILURE_LIMIT
        ),
    ]


def _throttled_attempt(*, user, request, event: str) -> list[throttle.Bucket]:
    """Count one try before any code is checked; raise CodeThrottled when over."""
    buckets = code_buckets(user=user, request=request)
    over = throttle.attempt(*buckets)
    if over is not None:
        security_event(
            "second_step_throttled",
            request=request,
            email=user.email,
            user_id=user.pk,
            limit=over.name,
            step=event,
        )
        raise CodeThrottled(over.name)
    return buckets


def _succeeded(buckets: list[throttle.Bucket]) -> None:
    client_bucket, account_bucket = buckets
    throttle.clear(account_bucket)
    throttle.forgive(client_bucket)


def _match_device(*, user, code: str, recovery: bool = True):
    """The confirmed device that accepts ``code`` (an authenticator code, or a
    recovery code, which is then used up), or None."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    if recovery:
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
    return None


@transaction.atomic
def code_check(*, user, request, code: str, step: str, recovery: bool = True):
    """The device accepting ``code`` for ``user`` (throttled, logged), or None.

    ``step`` names what the code is for in the security log ("sign_in",
    "remove", "new_codes"). Raises CodeThrottled before checking anything once
    a limit is reached.
    """
    buckets = _throttled_attempt(user=user, request=request, event=step)
    device = _match_device(user=user, code=normalise_code(code), recovery=recovery)
    if device is None:
        security_event(
            "second_step_failed",
            request=request,
            email=user.email,
            user_id=user.pk,
            step=step,
        )
        return None
    _succeeded(buckets)
    return device


def second_step_pass(*, request, code: str):
    """The sign-in's second step: on a right code, mark the session verified."""
    user = request.user
    device = code_check(user=user, request=request, code=code, step="sign_in")
    if device is not None:
        otp_login(request, device)
        security_event(
            "second_step_passed",
            request=request,
            email=user.email,
            method=device_kind(device),
        )
    return device


def device_kind(device) -> str:
    if isinstance(device, TOTPDevice):
        return "authenticator"
    if isinstance(device, StaticDevice):
        return "recovery_code"
    return "passkey"


# --- Devices -----------------------------------------------------------------------


def _recovery_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=token) for token in codes]
    )
    return codes


@transaction.atomic
def authenticator_confirm(*, request, secret: str, code: str) -> list[str] | None:
    """Turn on the authenticator app whose key is ``secret`` once ``code`` proves
    the person's app has it; returns the 10 new recovery codes (shown once), or
    None for a wrong code. The session counts as verified from then on."""
    user = request.user
    buckets = _throttled_attempt(user=user, request=request, event="set_up")
    key = secret_to_hex(secret)
    t = _totp_t_for(key, normalise_code(code))
    if t is None:
        security_event(
            "second_step_failed", request=request, email=user.email, step="set_up"
        )
        return None
    _succeeded(buckets)
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=t
    )
    codes = _recovery_codes_replace(user=user)
    if not request.user.is_verified():
        otp_login(request, device)
    security_event(
        "second_factor_added", request=request, email=user.email, kind="authenticator"
    )
    return codes


@transaction.atomic
def recovery_codes_renew(*, request, code: str) -> list[str] | None:
    """New recovery codes (the old ones stop working), given a current
    authenticator code; None for a wrong code."""
    user = request.user
    device = code_check(
        user=user, request=request, code=code, step="new_codes", recovery=False
    )
    if device is None:
        return None
    codes = _recovery_codes_replace(user=user)
    security_event(
        "second_factor_added", request=request, email=user.email, kind="recovery_codes"
    )
    return codes


@transaction.atomic
def authenticator_remove(*, request, code: str) -> bool:
    """Turn off the authenticator app and its recovery codes, given a current
    code or a recovery code. False for a wrong code (nothing changes)."""
    user = request.user
    device = code_check(user=user, request=request, code=code, step="remove")
    if device is None:
        return False
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    security_event(
        "second_factor_removed",
        request=request,
        email=user.email,
        kind="authenticator",
    )
    return True


@transaction.atomic
def passkey_name(*, request, passkey_id: int, name: str) -> WebAuthnCredential:
    """Give one of the person's passkeys a name (another's id: DoesNotExist)."""
    passkey = WebAuthnCredential.objects.select_for_update().get(
        user=request.user, pk=passkey_id
    )
    passkey.name = name.strip()[:64] or passkey.name
    passkey.save(update_fields=["name"])
    return passkey


@transaction.atomic
def passkey_remove(*, request, passkey_id: int) -> None:
    """Remove one of the person's passkeys (another's id: DoesNotExist)."""
    passkey = WebAuthnCredential.objects.select_for_update().get(
        user=request.user, pk=passkey_id
    )
    passkey.delete()
    security_event(
        "second_factor_removed",
        request=request,
        email=request.user.email,
        kind="passkey",
    )


def passkey_added(*, request, passkey) -> None:
    """Log a passkey the ceremony has just saved."""
    security_event(
        "second_factor_added", request=request, email=request.user.email, kind="passkey"
    )


@transaction.atomic
def demo_devices_enrol(*, user, secret: str = DEMO_TOTP_SECRET) -> TOTPDevice:
    """The demo data (DESIGN 8.8) and the tests: a confirmed authenticator with a
    known secret; idempotent (an existing one with that secret is kept)."""
    key = secret_to_hex(secret)
    device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key).first()
    if device is not None:
        return device
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(
        user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True
    )
