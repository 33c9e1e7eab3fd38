"""R38: API tokens under My account: list, create (the key shown once), revoke."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.exceptions import DomainError
from partners import api_tokens
from partners.models import ApiToken
from partners.permissions import Action, partner_required
from partners.token_forms import ApiTokenForm


def _tokens_page(request, form, *, new_key="", new_token=None, status=200):
    now = timezone.now()
    tokens = ApiToken.objects.filter(user=request.user).only(
        "id",
        "name",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    rows = [
        {
            "token": token,
            "state": (
                "revoked"
                if token.revoked_at
                else ("expired" if token.expires_at <= now else "active")
            ),
        }
        for token in tokens
    ]
    context = {"form": form, "rows": rows, "new_key": new_key, "new_token": new_token}
    return render(request, "partners/tokens.html", context, status=status)


@never_cache
@partner_required(Action.VIEW_OVERVIEW)  # every partner user
def tokens(request):
    """GET: the person's tokens and the form; POST: create one and show its key
    on this response only (never in a URL, a message or the session)."""
    if request.method != "POST":
        return _tokens_page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    try:
        token, key = api_tokens.token_create(user=request.user, **form.cleaned_data)
    except DomainError as error:
        form.add_error(None, error.message)
        return _tokens_page(request, form, status=400)
    return _tokens_page(request, ApiTokenForm(), new_key=key, new_token=token)


@partner_required(Action.VIEW_OVERVIEW)
def token_revoke(request, token_id):
    """A confirmation page; the POST revokes at once. Another person's token: 404."""
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        api_tokens.token_revoke(token=token, actor=request.user)
        messages.success(
            request, _("The token “%(name)s” was revoked.") % {"name": token.name}
        )
        return redirect("partners:tokens")
    return render(request, "partners/token_revoke.html", {"token": token})
