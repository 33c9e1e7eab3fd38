"""R45: each person's time zone.

A person's zone is the one set on their membership, else their organisation's
country's zone, else ``settings.TIME_ZONE`` (staff, visitors). Core cannot import
the apps that know memberships, so they register a resolver here in their
``AppConfig.ready()``: ``fn(user) -> str | None`` (a zone name, "" / None when the
user is not theirs). Resolvers must only read what the request loads anyway.
"""

import functools
import importlib.resources
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The tz database's tables of zones per country: the first row of a country is
# its main zone (e.g. "DE ... Europe/Berlin  most of Germany").
_TABLES = ("zone.tab", "zone1970.tab")

_resolvers: list[Callable] = []


def _table_texts():
    """The zone tables' texts, from the ``tzdata`` package if installed, else from
    the system's tz database (the directories ``zoneinfo`` itself reads)."""
    try:
        package = importlib.resources.files("tzdata.zoneinfo")
    except ModuleNotFoundError:
        package = None
    for name in _TABLES:
        places = [package / name] if package is not None else []
        places += [Path(directory) / name for directory in zoneinfo.TZPATH]
        for place in places:
            try:
                yield place.read_text(encoding="utf-8")
                break
            except OSError:
                continue


@functools.cache
def _country_zones() -> dict[str, str]:
    zones: dict[str, str] = {}
    for text in _table_texts():
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            columns = line.split("\t")
            if len(columns) < 3:
                continue
            for code in columns[0].split(","):
                if is_valid_zone(columns[2]):
                    zones.setdefault(code.strip().upper(), columns[2])
    return zones


@functools.cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_zone(name: str) -> bool:
    """True when ``name`` is an IANA zone this server can load."""
    return isinstance(name, str) and name in available_zones()


def validate_zone(name: str) -> None:
    """Form/model validator: blank is allowed (it means "the country's zone")."""
    if name and not is_valid_zone(name):
        raise ValidationError(
            _("“%(zone)s” is not a known time zone (e.g. Europe/Paris)."),
            code="invalid_time_zone",
            params={"zone": name},
        )


def zone_choices() -> list[tuple[str, str]]:
    """Every zone, sorted, for a select; the blank choice first."""
    blank = ("", _("Organisation's country's zone"))
    return [blank] + [(name, name) for name in sorted(available_zones())]


def default_zone_name() -> str:
    return settings.TIME_ZONE or "UTC"


def country_zone_name(country) -> str:
    """The main zone of a country (ISO 3166 code), e.g. FR → Europe/Paris;
    ``settings.TIME_ZONE`` for an unknown or blank country."""
    code = str(country or "").strip().upper()
    return _country_zones().get(code) or default_zone_name()


def zone_name_for(own: str, country) -> str:
    """A membership's zone: its own when valid, else its organisation's country's."""
    return own if own and is_valid_zone(own) else country_zone_name(country)


@functools.lru_cache(maxsize=512)
def get_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for ``name``, ``settings.TIME_ZONE`` when it is not valid."""
    if is_valid_zone(name):
        return ZoneInfo(name)
    return ZoneInfo(default_zone_name())


def register_zone_resolver(fn: Callable) -> Callable:
    """Add ``fn(user) -> str | None``; the first to answer a zone name wins."""
    if fn not in _resolvers:
        _resolvers.append(fn)
    return fn


def person_time_zone(user) -> ZoneInfo:
    """The zone every date and time shown to ``user`` is in (pages and emails).

    Staff (support, in the admin) work in ``settings.TIME_ZONE``: no query."""
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and not getattr(user, "is_staff", False)
    ):
        for resolver in _resolvers:
            name = resolver(user)
            if name:
                return get_zone(name)
    return get_zone(default_zone_name())


class TimeZoneFormField(forms.ChoiceField):
    """A select of every IANA zone, blank meaning "the organisation's country's
    zone"; anything else typed or posted is refused."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("time zone"))
        kwargs.setdefault(
            "help_text",
            _(
                "Dates and times are shown to this person in it. Blank: the zone "
                "of their organisation's country."
            ),
        )
        super().__init__(choices=zone_choices, **kwargs)

    def validate(self, value):
        super().validate(value)
        validate_zone(value)
