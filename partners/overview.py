"""R42: the Overview page's panels, registered by the apps that own their data.

``partners`` sits below ``customers`` and ``invitations`` (and the later ``gdap``
and ``api``), so it cannot read their rows. Each app registers its panels instead,
in its ``AppConfig.ready()``::

    from partners.overview import register_panel

    register_panel(
        "open_service_requests",
        order=40,                                   # lower comes first
        template="customers/includes/overview_service_requests.html",
        build=open_service_requests_panel,          # see below
        visible=lambda membership: can(membership, Action.VIEW_SERVICE_REQUESTS),
    )

``build(*, partner, membership, now)`` returns the panel's template context (a
dict). It must read only ``partner``'s rows (R17) and cost a fixed number of
queries whatever the number of rows (return lists, not lazy querysets, so the cost
is paid, and counted, in ``build``). ``visible(membership)`` says whether the
person's roles allow the panel (R1); without it every partner role sees it.
``wide=True`` lets a panel take the grid's whole width (a chart with its table).
``template`` is a template name (or a compiled template, as tests use).

The template is included with ``panel`` (the dict ``build`` returned) and
``heading_id`` (the id its ``<h2>`` must carry: the page's ``<section>`` is
labelled by it). Each panel shows a heading, an empty-state text when it has
nothing, and a link to the full list.

"Ending in the next 30 days" is one panel fed by several sources: an app adds what
it has that ends (pending request links now; admin relationships with ``gdap``)
with ``register_ending_source(key, order=..., build=..., visible=...)``, where
``build(*, partner, membership, now, until)`` returns ``EndingSource`` (up to
``ENDING_LIMIT`` items, soonest first, a fixed number of queries). The panel is
shown when at least one of its sources is visible to the person.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils.safestring import SafeString, mark_safe

from core.formatting import datetime_formatter, html_text
from core.templatetags.portal import machine_time
from partners.models import Partner, PartnerMembership

Build = Callable[..., dict]
Visible = Callable[[PartnerMembership], bool]

ENDING_DAYS = 30
ENDING_LIMIT = 10


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template: str
    build: Build
    visible: Visible | None = None
    wide: bool = False

    def is_visible(self, membership: PartnerMembership) -> bool:
        return self.visible is None or bool(self.visible(membership))


@dataclass(frozen=True)
class RenderedPanel:
    """A panel ready for the page: its template and the context ``build`` made."""

    key: str
    template: str
    context: dict
    wide: bool = False

    @property
    def heading_id(self) -> str:
        return f"panel-{self.key.replace('_', '-')}"


_panels: dict[str, Panel] = {}


def html_items(items) -> SafeString:
    """Finished ``<li>`` items (each written with ``html_text``) as one block."""
    return mark_safe("\n  ".join(items))  # noqa: S308 (every value escaped)


def register_panel(
    key: str,
    *,
    order: int,
    template: str,
    build: Build,
    visible: Visible | None = None,
    wide: bool = False,
) -> Panel:
    """Add a panel to the Overview (call from ``AppConfig.ready()``).

    Registering the same key again replaces the panel (a reloaded app stays
    one panel); two different keys never share a place by accident: ties in
    ``order`` are broken by key.
    """
    if not key or not key.replace("_", "").isalnum():
        raise ImproperlyConfigured(f"overview panel key {key!r}: letters, digits, _")
    panel = Panel(
        key=key,
        order=order,
        template=template,
        build=build,
        visible=visible,
        wide=wide,
    )
    _panels[key] = panel
    return panel


def unregister_panel(key: str) -> None:
    """Remove a panel (for tests that register their own)."""
    _panels.pop(key, None)


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def overview_panels(
    *, partner: Partner, membership: PartnerMembership, now: datetime
) -> list[RenderedPanel]:
    """The panels this person may see, in order, each built once (R1, R42)."""
    return [
        RenderedPanel(
            key=panel.key,
            template=panel.template,
            context=panel.build(partner=partner, membership=membership, now=now),
            wide=panel.wide,
        )
        for panel in registered_panels()
        if panel.is_visible(membership)
    ]


# --- "Ending in the next 30 days": one panel, several sources -----------------------


@dataclass(frozen=True)
class EndingItem:
    """One thing that ends soon: when, what, and where to act on it."""

    ends_at: datetime
    title: str
    what: str
    url: str = ""


@dataclass(frozen=True)
class EndingSource:
    """What one source has ending: the soonest items and how many in all."""

    label: str
    items: list[EndingItem] = field(default_factory=list)
    total: int = 0
    list_url: str = ""
    list_label: str = ""


@dataclass(frozen=True)
class _Source:
    key: str
    order: int
    build: Callable[..., EndingSource]
    visible: Visible | None = None

    def is_visible(self, membership) -> bool:
        return self.visible is None or bool(self.visible(membership))


_ending_sources: dict[str, _Source] = {}


def register_ending_source(
    key: str,
    *,
    order: int,
    build: Callable[..., EndingSource],
    visible: Visible | None = None,
) -> None:
    """Add a source of things ending in the next 30 days (see the module doc)."""
    _ending_sources[key] = _Source(key=key, order=order, build=build, visible=visible)


def unregister_ending_source(key: str) -> None:
    _ending_sources.pop(key, None)


def _visible_sources(membership) -> list[_Source]:
    return [
        s
        for s in sorted(_ending_sources.values(), key=lambda s: (s.order, s.key))
        if s.is_visible(membership)
    ]


def ending_panel(*, partner, membership, now) -> dict:
    """Every visible source's items ending by ``now`` + 30 days, soonest first."""
    until = now + timedelta(days=ENDING_DAYS)
    sources = [
        s.build(partner=partner, membership=membership, now=now, until=until)
        for s in _visible_sources(membership)
    ]
    items = sorted(
        (item for source in sources for item in source.items),
        key=lambda item: item.ends_at,
    )
    items = items[:ENDING_LIMIT]
    when = datetime_formatter()
    lines = []
    for item in items:
        title = html_text(item.title)
        if item.url:
            title = f'<a href="{html_text(item.url)}">{title}</a>'
        lines.append(
            f"<li>\n    {title}<br>\n    "
            f'<span class="muted">{html_text(item.what)} · '
            f'<time datetime="{html_text(machine_time(item.ends_at))}">'
            f"{html_text(when(item.ends_at))}</time></span>\n  </li>"
        )
    return {
        "days": ENDING_DAYS,
        "items": items,
        "items_html": html_items(lines),
        "total": sum(source.total for source in sources),
        "sources": sources,
    }


register_panel(
    "ending",
    order=20,
    template="partners/includes/overview_ending.html",
    build=ending_panel,
    visible=lambda membership: bool(_visible_sources(membership)),
)
