from datetime import UTC, datetime

from django import template

from core.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code):
    """ "FR" → "France" (or "France" in French), in the active language."""
    return _country_name(code) if code else ""


@register.filter
def machine_time(value):
    """R45: the value for ``<time datetime="...">``: UTC ISO 8601, at most
    millisecond precision (the HTML checker refuses more digits), e.g.
    ``2026-12-02T17:03:00Z``. A date is given as ``2026-12-02``."""
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime):
        try:
            return value.isoformat()
        except AttributeError:
            return ""
    if value.tzinfo is None:
        # A naive datetime is taken to be UTC (the database's time).
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    timespec = "milliseconds" if value.microsecond // 1000 else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"
