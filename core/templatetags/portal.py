from django import template

from core.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code):
    """ "FR" → "France" (or "France" in French), in the active language."""
    return _country_name(code) if code else ""
