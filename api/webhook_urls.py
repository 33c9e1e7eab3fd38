"""R40: the Webhooks pages (to be filled)."""

urlpatterns = []
