from django.utils import dateformat, timezone
from django.utils.formats import get_format


def date_formatter():
    """Format dates as the ``date:"DATE_FORMAT"`` filter would, in the active
    language, looking the format up once for a whole list rather than once a cell
    (50 date cells were a sixth of the Relationship requests page's time)."""
    pattern = get_format("DATE_FORMAT")

    def format_date(value):
        if value is None:
            return ""
        return dateformat.format(timezone.localtime(value), pattern)

    return format_date
