from django.utils import timezone

from core.timezones import person_time_zone


class PersonTimeZoneMiddleware:
    """R45: every date and time of a page is shown in the signed-in person's zone.

    After AuthenticationMiddleware. The resolvers read the memberships the pages
    load anyway (cached on the user), so this adds no query to a portal page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        timezone.activate(person_time_zone(user))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
