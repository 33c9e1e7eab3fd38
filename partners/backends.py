from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Sign in with the email address, whatever its letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = (kwargs.get("email") or username or "").strip()
        if not email or password is None:
            return None
        User = get_user_model()
        users = list(User._default_manager.filter(email__iexact=email)[:2])
        if len(users) != 1:
            # Run the hasher anyway so unknown addresses take as long as known ones.
            User().set_password(password)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
