# R45: English dates are day-month-year ("2 December 2026"), and a time always
# names its zone ("2 Dec 2026, 18:03 CET"). Only what differs from Django's "en".
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i T"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
FIRST_DAY_OF_WEEK = 1  # Monday
# Typed dates: ISO first, then day-month-year (never month-day).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
]
