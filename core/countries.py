from django_countries import countries


def country_name(code) -> str:
    """The country/region's name in the active language (falls back to the code).

    For codes that are not a model's CountryField (forms, messages); a field's value
    has its own ``.name``.
    """
    return str(countries.name(str(code))) or str(code)
