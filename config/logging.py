"""Structured logging to stdout, with invitation and password links redacted (R7)."""

import json
import logging
import re

# Any invitation token, wherever it appears (a path Django reaches through
# percent-encoding, a future portal, a Referer, a message): its shape, which must
# stay in step with invitations.tokens.TOKEN_SHAPE ([0-9a-z]{1,13}-[0-9a-f]{40};
# config imports no app). Every character may also arrive percent-encoded
# ("%61" for "a", "%2D" for the dash), in either case of hex digit; upper-case
# letters are taken too: redacting a little more is harmless.
_ID_CHAR = r"(?:[0-9A-Za-z]|%(?:3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]))"
_HEX_CHAR = r"(?:[0-9A-Fa-f]|%(?:3[0-9]|[46][1-6]))"
_DASH = r"(?:-|%2[Dd])"
_TOKEN_SHAPE = re.compile(rf"{_ID_CHAR}{{1,13}}{_DASH}{_HEX_CHAR}{{40}}")
# Password-reset and set-password links (R26/R27): Django's reset token, a
# base-36 timestamp, a dash and 32 hex digits (partners.passwords).
_PASSWORD_TOKEN_SHAPE = re.compile(
    rf"{_ID_CHAR}{{1,13}}{_DASH}{_HEX_CHAR}{{32}}(?![0-9A-Fa-f]|%(?:3[0-9]|[46][1-6]))"
)


def redact(text: str) -> str:
    return _PASSWORD_TOKEN_SHAPE.sub("[redacted]", _TOKEN_SHAPE.sub("[redacted]", text))


class RedactInvitationTokens(logging.Filter):
    """Rewrite any record whose message carries an invitation link."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # django.request and django.server attach the request itself.
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            record.request = redact(repr(request))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: easy to ship to any log store."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("status_code", "event", "invitation_id", "partner_id"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        # core.security_log: the event's fields (hashed address, client address).
        payload.update(getattr(record, "security", None) or {})
        # A refused or missing page is a warning, not a crash: no traceback.
        if record.exc_info and getattr(record, "status_code", 500) >= 500:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
