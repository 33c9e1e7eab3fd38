from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from core.formatting import date_formatter

FILTER = Template('{{ value|date:"DATE_FORMAT" }}')

DATES = [
    datetime(2026, 3, 1, 0, 30, tzinfo=UTC),
    datetime(2026, 3, 1, 23, 59, tzinfo=UTC),
    datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_formats_each_date_as_the_date_filter_would(language):
    with translation.override(language):
        format_date = date_formatter()
        for value in DATES + DATES:
            expected = FILTER.render(Context({"value": value}))
            assert format_date(value) == expected
        assert format_date(None) == ""


def test_the_day_is_the_local_one():
    # 23:30 UTC on 31 December is already 1 January in Paris (R45: English
    # dates are day-month-year).
    with timezone.override("Europe/Paris"), translation.override("en"):
        format_date = date_formatter()
        assert (
            format_date(datetime(2025, 12, 31, 12, 0, tzinfo=UTC)) == "31 December 2025"
        )
        assert (
            format_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "1 January 2026"
        )
