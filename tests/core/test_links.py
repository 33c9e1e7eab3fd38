from django.urls import reverse

from core.links import reverse_each


def test_reverse_each_matches_reverse_for_every_id():
    ids = [1, 42, 918273645, 10**12]
    urls = reverse_each("customers:detail", "customer_id", ids)
    assert urls == {i: reverse("customers:detail", args=[i]) for i in ids}
