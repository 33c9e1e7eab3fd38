"""R39: /api/v1/ endpoints (to be filled)."""

urlpatterns = []
