"""The partner's pages of admin relationships and security groups (R31, R33,
R35, R36). Global admins and Admin agents only (R1); another partner's ids are
a 404 (R17). Thin: every read is a selector, every write a service.

The role check comes before the method check: whoever lacks the role gets 403
whatever the method (R1)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_safe,
)

from core.exceptions import DomainError
from core.formatting import date_formatter, html_text
from core.links import reverse_each
from core.pagination import paginate
from customers.role_catalogue import in_catalogue_order, role_label
from gdap import selectors, services
from gdap.forms import (
    REQUEST_ERROR_FIELDS,
    AssignmentForm,
    RelationshipRequestForm,
    SecurityGroupForm,
    TerminateForm,
)
from gdap.models import AdminRelationship
from partners.permissions import Action, partner_required

PAGE_SIZE = 25
S = AdminRelationship.Status
MANAGE = Action.MANAGE_ADMIN_RELATIONSHIPS
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


def _posted(request):
    return request.POST if request.method == "POST" else None


# --- Admin relationships (R36) ----------------------------------------------------


@partner_required(MANAGE)
@require_safe
def relationship_list(request):
    """R36: the partner's admin relationships, filtered by shown status
    ("Expiring in 30 days" included), searched by name or customer."""
    search = request.GET.get("q", "")[:200]
    status = request.GET.get("status", "")
    if status not in selectors.LIST_STATUSES:
        status = ""
    order = selectors.admin_relationship_list_order(request.GET.get("sort", ""))
    now = timezone.now()
    page = paginate(
        request,
        selectors.admin_relationship_list(
            partner=request.partner, status=status, search=search, order=order, now=now
        ),
        default=PAGE_SIZE,
    )
    return render(
        request,
        "gdap/relationship_list.html",
        {
            "page": page,
            "rows": _list_rows(list(page.object_list), now),
            "search": search,
            "status": status,
            "statuses": [
                (value, _("Expiring in 30 days") if value == S.EXPIRING else label)
                for value, label in S.choices
                if value in selectors.LIST_STATUSES
            ],
            "filtered": bool(search or status),
            "columns": _sort_columns(order),
        },
    )


def _list_rows(relationships, now):
    """Each row of the list as HTML, written once here (as customers.rows does
    for the Customers list): labels, dates and links looked up once a page, the
    values escaped by core.formatting.html_text. A template loop with a tag a
    cell cost more than the page's queries."""
    urls = reverse_each("gdap:detail", "relationship_id", [r.pk for r in relationships])
    format_date = date_formatter()
    labels = {value: html_text(label) for value, label in S.choices}
    cells = {
        key: html_text(label)
        for key, label in (
            ("name", _("Name")),
            ("status", _("Status")),
            ("customer", _("Customer")),
            ("roles", _("Roles")),
            ("ends", _("Ends")),
            ("assignments", _("Assignments")),
        )
    }
    not_chosen = html_text(_("Not chosen yet"))
    role_names = {}
    rows = []
    for relationship in relationships:
        shown = relationship.effective_status(now)
        codes = tuple(r.role for r in relationship.roles.all())
        if codes not in role_names:
            role_names[codes] = html_text(
                ", ".join(str(role.label) for role in in_catalogue_order(codes))
            )
        customer = (
            html_text(relationship.customer.name)
            if relationship.customer_id
            else not_chosen
        )
        rows.append(
            mark_safe(  # noqa: S308 (every value escaped)
                f'<tr><th scope="row" data-label="{cells["name"]}">'
                f'<a href="{html_text(urls[relationship.pk])}">'
                f"{html_text(relationship.name)}</a></th>"
                f'<td data-label="{cells["status"]}"><span class="badge '
                f'badge--{BADGES[shown]}" data-status="{shown}">{labels[shown]}'
                "</span></td>"
                f'<td data-label="{cells["customer"]}">{customer}</td>'
                f'<td data-label="{cells["roles"]}">{role_names[codes]}</td>'
                f'<td data-label="{cells["ends"]}">'
                f"{html_text(format_date(relationship.ends_at) or '—')}</td>"
                f'<td data-label="{cells["assignments"]}">'
                f"{relationship.assignment_count}</td></tr>"
            )
        )
    return rows


def _sort_columns(order):
    """Sortable headers (as on Customers): label, the sort a click asks for and
    aria-sort."""
    columns = []
    for key, label, first in (
        ("name", _("Name"), "name"),
        ("customer", _("Customer"), "customer"),
        ("ends", _("Ends"), "ends"),
    ):
        descending = order.startswith("-")
        if order.lstrip("-") == key:
            sort = key if descending else f"-{key}"
            aria = "descending" if descending else "ascending"
        else:
            sort, aria = first, ""
        columns.append({"key": key, "label": label, "sort": sort, "aria_sort": aria})
    return columns


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def relationship_new(request):
    """R31: Request admin relationship; then the email draft (R5, R6, R22)."""
    initial = {}
    customer = selectors.partner_customer(
        partner=request.partner, customer_id=request.GET.get("customer", "")
    )
    if customer is not None:
        initial["customer"] = str(customer.pk)
    language = (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]
    initial["email_language"] = language if language in ("en", "fr", "de") else "en"
    form = RelationshipRequestForm(
        _posted(request), partner=request.partner, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            relationship = services.admin_relationship_request(
                partner=request.partner,
                created_by=request.user,
                **form.service_arguments(),
            )
        except DomainError as exc:
            form.add_error(REQUEST_ERROR_FIELDS.get(exc.code), str(exc))
        else:
            return redirect(
                "invitations:email", invitation_id=relationship.invitation_id
            )
    return render(
        request,
        "gdap/relationship_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _relationship(request, relationship_id):
    return selectors.admin_relationship_get(
        partner=request.partner, relationship_id=relationship_id
    )


def _to_detail(relationship):
    # A GET of an action's address (a bookmark, a reload) shows the page; the
    # lookup came first, so another partner's id is still a 404 (R17).
    return redirect("gdap:detail", relationship_id=relationship.pk)


def _detail_page(
    request, relationship, *, assign_form=None, auto_extend_error="", status=200
):
    now = timezone.now()
    shown = relationship.effective_status(now)
    live = shown in LIVE
    codes = [r.role for r in relationship.roles.all()]
    assignments = list(relationship.assignments.all())
    if live and assign_form is None:
        assign_form = AssignmentForm(
            relationship=relationship,
            group_choices=selectors.group_choices(partner=request.partner),
        )
    return render(
        request,
        "gdap/relationship_detail.html",
        {
            "relationship": relationship,
            "status": shown,
            "status_label": S(shown).label,
            "badge": BADGES[shown],
            "live": live,
            "pending": shown == S.APPROVAL_PENDING,
            "roles": in_catalogue_order(codes),
            "assignments": [
                {
                    "assignment": a,
                    "roles": ", ".join(
                        role_label(code)
                        for code in sorted(
                            (r.role for r in a.roles.all()), key=codes.index
                        )
                    ),
                }
                for a in assignments
            ],
            "unassigned_warning": live and not assignments,
            "assign_form": assign_form,
            "auto_extend_error": auto_extend_error,
            "events": selectors.relationship_events(relationship=relationship),
        },
        status=status,
    )


@partner_required(MANAGE)
@require_safe
def relationship_detail(request, relationship_id):
    """R33/R35/R36: the relationship, its roles and dates, its assignments."""
    return _detail_page(request, _relationship(request, relationship_id))


@partner_required(MANAGE)
@require_safe
def relationship_for_request(request, invitation_id):
    """The draft page's "OK" (R6) comes here: the request's relationship."""
    relationship = selectors.admin_relationship_for_request(
        partner=request.partner, invitation_id=invitation_id
    )
    return _to_detail(relationship)


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def relationship_auto_extend(request, relationship_id):
    """R35: Auto-extend on or off (refused with Global Administrator, R31)."""
    relationship = _relationship(request, relationship_id)
    if request.method != "POST":
        return _to_detail(relationship)
    on = request.POST.get("auto_extend") == "on"
    try:
        services.admin_relationship_set_auto_extend(
            relationship_id=relationship.pk, actor=request.user, on=on, side="partner"
        )
    except DomainError as exc:
        return _detail_page(
            request, relationship, auto_extend_error=str(exc), status=400
        )
    messages.success(
        request,
        _("Auto-extend is on: the relationship gains 180 days at each end.")
        if on
        else _("Auto-extend is off: the relationship ends on its end date."),
    )
    return _to_detail(relationship)


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def relationship_terminate(request, relationship_id):
    """R35: Terminate, after a confirmation page that says what it means."""
    relationship = _relationship(request, relationship_id)
    shown = relationship.effective_status(timezone.now())
    form = TerminateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.admin_relationship_terminate(
                relationship_id=relationship.pk,
                actor=request.user,
                side="partner",
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The admin relationship %(name)s was terminated.")
                % {"name": relationship.name},
            )
        return redirect("gdap:detail", relationship_id=relationship.pk)
    return render(
        request,
        "gdap/relationship_terminate.html",
        {
            "relationship": relationship,
            "form": form,
            "can_end": shown in (*LIVE, S.APPROVAL_PENDING),
            "pending": shown == S.APPROVAL_PENDING,
        },
        status=400 if form.errors else 200,
    )


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def relationship_remove_global_admin(request, relationship_id):
    """R35: Remove Global Administrator from an active relationship, after a
    confirmation page."""
    relationship = _relationship(request, relationship_id)
    if request.method == "POST":
        try:
            services.admin_relationship_remove_global_admin(
                relationship_id=relationship.pk, actor=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Global Administrator was removed: you may now turn on Auto-extend."),
            )
        return redirect("gdap:detail", relationship_id=relationship.pk)
    shown = relationship.effective_status(timezone.now())
    return render(
        request,
        "gdap/relationship_remove_global_admin.html",
        {
            "relationship": relationship,
            "can_remove": shown in LIVE and relationship.has_global_administrator,
            "only_role": len(relationship.roles.all()) == 1,
        },
    )


# --- Access assignments (R33) -----------------------------------------------------


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def assignment_save(request, relationship_id):
    """R33: Assign a security group some of the relationship's roles (the same
    group again changes its roles)."""
    relationship = _relationship(request, relationship_id)
    if request.method != "POST":
        return _to_detail(relationship)
    form = AssignmentForm(
        request.POST,
        relationship=relationship,
        group_choices=selectors.group_choices(partner=request.partner),
    )
    if form.is_valid():
        try:
            assignment = services.assignment_save(
                relationship_id=relationship.pk,
                group_id=form.cleaned_data["group"],
                roles=form.cleaned_data["roles"],
                actor=request.user,
            )
        except DomainError as exc:
            field = {"unknown_group": "group"}.get(exc.code, "roles")
            if exc.code.startswith("not_active"):
                field = None
            form.add_error(field, str(exc))
        else:
            messages.success(
                request,
                _("%(group)s is assigned to this admin relationship.")
                % {"group": assignment.group.name},
            )
            return redirect("gdap:detail", relationship_id=relationship.pk)
    return _detail_page(request, relationship, assign_form=form, status=400)


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def assignment_delete(request, relationship_id, assignment_id):
    relationship = _relationship(request, relationship_id)
    assignment = selectors.assignment_get(
        relationship=relationship, assignment_id=assignment_id
    )
    if request.method != "POST":
        return _to_detail(relationship)
    services.assignment_delete(
        relationship_id=relationship.pk,
        assignment_id=assignment.pk,
        actor=request.user,
    )
    messages.success(request, _("The assignment was removed."))
    return redirect("gdap:detail", relationship_id=relationship.pk)


# --- Security groups (R33) --------------------------------------------------------


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def group_list(request):
    """R33: the partner's security groups, and a form to create one."""
    form = SecurityGroupForm(_posted(request), partner=request.partner)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                partner=request.partner,
                name=form.cleaned_data["name"],
                member_ids=form.member_ids(),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(
                "members" if exc.code == "unknown_member" else "name", str(exc)
            )
        else:
            messages.success(
                request,
                _("The security group %(name)s was created.") % {"name": group.name},
            )
            return redirect("gdap:groups")
    groups = list(selectors.security_group_list(partner=request.partner))
    urls = reverse_each("gdap:group", "group_id", [g.pk for g in groups])
    rows = [
        {
            "group": group,
            "url": urls[group.pk],
            "members": ", ".join(
                m.user.get_full_name() or m.user.email for m in group.memberships.all()
            ),
            "assignments": group.assignment_count,
        }
        for group in groups
    ]
    return render(
        request,
        "gdap/group_list.html",
        {"rows": rows, "form": form},
        status=400 if form.errors else 200,
    )


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def group_edit(request, group_id):
    """R33: rename a security group and set its members."""
    group = selectors.security_group_get(partner=request.partner, group_id=group_id)
    form = SecurityGroupForm(
        _posted(request),
        partner=request.partner,
        group=group,
        initial={
            "name": group.name,
            "members": [m.user_id for m in group.memberships.all()],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(
                partner=request.partner,
                group_id=group.pk,
                name=form.cleaned_data["name"],
                member_ids=form.member_ids(),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(
                "members" if exc.code == "unknown_member" else "name", str(exc)
            )
        else:
            messages.success(request, _("The security group was saved."))
            return redirect("gdap:groups")
    return render(
        request,
        "gdap/group_edit.html",
        {"group": group, "form": form},
        status=400 if form.errors else 200,
    )


@partner_required(MANAGE)
@require_http_methods(["GET", "POST"])
def group_delete(request, group_id):
    """R33: delete a security group after a confirmation; refused while it is
    assigned to an admin relationship."""
    group = selectors.security_group_get(partner=request.partner, group_id=group_id)
    if request.method == "POST":
        try:
            services.group_delete(
                partner=request.partner, group_id=group.pk, actor=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("gdap:group", group_id=group.pk)
        messages.success(
            request,
            _("The security group %(name)s was deleted.") % {"name": group.name},
        )
        return redirect("gdap:groups")
    return render(request, "gdap/group_delete.html", {"group": group})
