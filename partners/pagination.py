from django.core import paginator


class Paginator(paginator.Paginator):
    """Django's Paginator, reading the first page before counting.

    When the first page is not full it holds every row, so no ``COUNT`` is needed:
    the usual search finds fewer rows than a page, and on SQLite a search's
    ``COUNT`` scans every customer a second time. A full first page is reused and
    the count made only when the page asks for it.
    """

    def get_page(self, number):
        if self.orphans or "count" in self.__dict__:
            return super().get_page(number)
        try:
            first = int(number) == 1
        except (TypeError, ValueError):
            first = True  # not a number: Django shows the first page too
        if not first:
            return super().get_page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.count = len(rows)
        return self._get_page(rows, 1, self)
