from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """R39: cursor pagination (stable under inserts; no COUNT over every row)."""

    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = "-id"
