"""The customer administrator's side of admin relationships (R32, R35, R36).

Their organisation's admin relationships appear on "Partner relationships"
(``customers:partners``) as a section ``customers.access`` asks this app for
(:func:`partner_relationships_section`, registered in ``GdapConfig.ready()``):
partner, name, roles, status, end date, auto-extend, with Terminate (after a
confirmation page) and auto-extend on/off. Customer administrators only (R1);
another organisation's relationship id is a 404, GET and POST (R17).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.links import reverse_each
from customers.permissions import customer_admin_required
from customers.role_catalogue import in_catalogue_order
from gdap import selectors, services
from gdap.forms import TerminateForm
from gdap.models import AdminRelationship

S = AdminRelationship.Status
# The badge each shown status wears (the portal's existing badge colours).
BADGES = {
    S.APPROVAL_PENDING: "pending",
    S.ACTIVE: "active",
    S.EXPIRING: "warning",
    S.EXPIRED: "expired",
    S.TERMINATED: "ended",
    S.DECLINED: "declined",
}
LIVE = (S.ACTIVE, S.EXPIRING)


def _row(relationship: AdminRelationship, *, now, terminate_url, auto_extend_url):
    shown = relationship.effective_status(now)
    live = shown in LIVE
    return {
        "relationship": relationship,
        "roles": [
            role.label
            for role in in_catalogue_order(r.role for r in relationship.roles.all())
        ],
        "status": shown,
        "status_label": S(shown).label,
        "badge": BADGES.get(shown, shown),
        "live": live,
        "terminate_url": terminate_url if live else "",
        "auto_extend_url": auto_extend_url if live else "",
        # R31: never with Global Administrator.
        "can_auto_extend": live and not relationship.has_global_administrator,
    }


def partner_relationships_section(*, customer, now) -> dict:
    """The context of ``gdap/customer_admin_relationships.html``: every admin
    relationship of ``customer`` (two queries), live ones first."""
    relationships = selectors.customer_admin_relationships(customer=customer)
    ids = [r.pk for r in relationships]
    terminate = reverse_each("gdap:customer_terminate", "relationship_id", ids)
    auto_extend = reverse_each("gdap:customer_auto_extend", "relationship_id", ids)
    rows = [
        _row(
            r,
            now=now,
            terminate_url=terminate[r.pk],
            auto_extend_url=auto_extend[r.pk],
        )
        for r in relationships
    ]
    rows.sort(key=lambda row: not row["live"])
    return {"rows": rows}


@require_http_methods(["GET", "POST"])
@customer_admin_required
def terminate(request, relationship_id):
    """R32/R35: the customer terminates an admin relationship, after a
    confirmation page."""
    relationship = selectors.customer_admin_relationship_get(
        customer=request.customer, relationship_id=relationship_id
    )
    now = timezone.now()
    live = relationship.effective_status(now) in LIVE
    form = TerminateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and live and form.is_valid():
        try:
            services.admin_relationship_terminate(
                relationship_id=relationship.pk,
                actor=request.user,
                side="customer",
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The admin relationship “%(name)s” with %(partner)s was terminated.")
                % {"name": relationship.name, "partner": relationship.partner.name},
            )
            return redirect("customers:partners")
    refused = request.method == "POST" and (not live or bool(form.errors))
    return render(
        request,
        "gdap/customer_terminate.html",
        {
            "relationship": relationship,
            "form": form,
            "live": live,
            "status_label": S(relationship.effective_status(now)).label,
        },
        status=400 if refused else 200,
    )


@require_POST
@customer_admin_required
def auto_extend(request, relationship_id):
    """R35: the customer turns auto-extend on (``on=1``) or off (``on=0``);
    refused with Global Administrator (R31)."""
    relationship = selectors.customer_admin_relationship_get(
        customer=request.customer, relationship_id=relationship_id
    )
    wanted = request.POST.get("on", "")
    if wanted not in ("0", "1"):
        return _auto_extend_refused(
            request, relationship, _("Choose whether to turn auto-extend on or off.")
        )
    try:
        services.admin_relationship_set_auto_extend(
            relationship_id=relationship.pk,
            actor=request.user,
            on=wanted == "1",
            side="customer",
        )
    except DomainError as exc:
        return _auto_extend_refused(request, relationship, str(exc))
    if wanted == "1":
        message = _("Auto-extend is on for “%(name)s”.")
    else:
        message = _("Auto-extend is off for “%(name)s”.")
    messages.success(request, message % {"name": relationship.name})
    return redirect("customers:partners")


def _auto_extend_refused(request, relationship, message):
    return render(
        request,
        "gdap/customer_auto_extend.html",
        {"relationship": relationship, "error": message},
        status=400,
    )
