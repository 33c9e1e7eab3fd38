from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """R39: cursor pagination (stable under inserts; no COUNT over every row).

    ``page_size`` is 1 to 100 (more is read as 100); anything else is a 400,
    not silently the default."""

    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        given = request.query_params.getlist(self.page_size_query_param)
        if not given:
            return self.page_size
        raw = given[0].lstrip("0")
        if len(given) > 1 or not raw or not (raw.isascii() and raw.isdigit()):
            raise ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1 to 100.")]}
            )
        # Digits past 3 are more than 100 whatever they are (and never parsed).
        return min(int(raw[:4]), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1})
        return parameters
