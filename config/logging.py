"""Structured logging to stdout, with invitation links redacted (R7)."""

import json
import logging
import re

# Both the dispatcher and the experience pages carry the secret in the path.
_TOKEN_IN_PATH = re.compile(
    r"(/invitations/accept/|/portals/(?:office|store)/)(?!session/)[^/\s\"?]+"
)


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1[redacted]", text)


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
        # A refused or missing page is a warning, not a crash: no traceback.
        if record.exc_info and getattr(record, "status_code", 500) >= 500:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
