from html import escape as html_escape

from django.utils import dateformat, timezone
from django.utils.formats import get_format


def date_formatter():
    """Format dates as the ``date:"DATE_FORMAT"`` filter would, in the active
    language and time zone (R45: the person's, activated by
    core.time_middleware), for a whole list: the format is looked up once, and
    each calendar day is formatted once (50 date cells formatted one by one were a
    sixth of the Relationship requests page's time, and a page's dates share a
    few days)."""
    pattern = get_format("DATE_FORMAT")
    zone = timezone.get_current_timezone()
    by_day = {}

    def format_date(value):
        if value is None:
            return ""
        local = value.astimezone(zone)
        day = (local.year, local.month, local.day)
        text = by_day.get(day)
        if text is None:
            text = by_day[day] = dateformat.format(local, pattern)
        return text

    return format_date


def datetime_formatter(format_name: str = "DATETIME_FORMAT"):
    """The same for date-times (``date:"DATETIME_FORMAT"``, which names the zone,
    R45): the format looked up once, each minute formatted once."""
    pattern = get_format(format_name)
    zone = timezone.get_current_timezone()
    by_minute = {}

    def format_datetime(value):
        if value is None:
            return ""
        local = value.astimezone(zone)
        # The offset is part of the key: a repeated hour (autumn) differs in it.
        minute = (local.replace(second=0, microsecond=0), local.utcoffset())
        text = by_minute.get(minute)
        if text is None:
            named = _with_zone_name(pattern, local.tzname() or "")
            text = by_minute[minute] = dateformat.format(local, named)
        return text

    return format_datetime


def _with_zone_name(pattern: str, zone_name: str) -> str:
    """``pattern`` with its ``T`` (zone name) written out: Django's ``T`` is empty
    for a repeated autumn hour, and both 02:30 of that night must say which."""
    out = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif char == "T":
            out.append("".join("\\" + c for c in zone_name))
        else:
            out.append(char)
    return "".join(out)


def html_text(value) -> str:
    """``value`` escaped as ``{{ value }}`` and ``format_html`` escape it (Django's
    ``conditional_escape``: already safe text as it is), without their per-call
    price, for the pages that write their rows in Python (customers.rows, the
    Overview's panels): a few hundred values a page."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html_escape(str(value))
