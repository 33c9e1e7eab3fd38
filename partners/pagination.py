from django.core import paginator
from django.db import connections
from django.db.models import QuerySet


class Paginator(paginator.Paginator):
    """Django's Paginator, with two savings for long lists.

    - The first page is read before counting. When it is not full it holds every
      row, so no ``COUNT`` is needed: the usual search finds fewer rows than a
      page, and on SQLite a search's ``COUNT`` scans every customer a second time.
      A full first page is reused, and the count made when the page asks for it.
    - On PostgreSQL a later page finds its rows' ids first, then reads those rows
      (``pk IN (… LIMIT 25 OFFSET n)``): the rows skipped by the offset are read
      from an index only. Otherwise its planner hash-joins and sorts every row to
      show page 200 (15 ms at 10,000 customers, 1 ms so). SQLite already walks the
      index to the offset, and would scan it whole to honour the ``IN``.
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

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom, top):
        rows = self.object_list
        if (
            bottom
            and isinstance(rows, QuerySet)
            and connections[rows.db].vendor == "postgresql"
        ):
            ids = rows.prefetch_related(None).values("pk")[bottom:top]
            return rows.filter(pk__in=ids)
        return rows[bottom:top]
