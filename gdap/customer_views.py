"""Placeholder: the customer administrator's pages are being written."""

from django.http import Http404


def _todo(request, **kwargs):
    raise Http404


terminate = auto_extend = _todo
