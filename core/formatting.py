from django.utils import dateformat, timezone
from django.utils.formats import get_format


def date_formatter():
    """Format dates as the ``date:"DATE_FORMAT"`` filter would, in the active
    language, for a whole list: the format is looked up once, and each calendar day
    is formatted once (50 date cells formatted one by one were a sixth of the
    Relationship requests page's time, and a page's dates share a few days)."""
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
