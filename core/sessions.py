"""Session limits and the list of a person's sessions (R30). Stub: filled in by #14."""


class SessionActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
