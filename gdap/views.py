"""Placeholder: the partner pages are being written (see gdap/urls.py)."""

from django.http import Http404


def _todo(request, **kwargs):
    raise Http404


relationship_list = relationship_new = relationship_detail = _todo
relationship_terminate = relationship_remove_global_admin = _todo
relationship_auto_extend = assignment_save = assignment_delete = _todo
relationship_for_request = group_list = group_edit = group_delete = _todo
