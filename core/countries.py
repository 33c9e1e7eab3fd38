from django_countries import countries


def country_name(code: str) -> str:
    """The country/region's name in the active language (falls back to the code)."""
    return str(countries.name(code)) or code
