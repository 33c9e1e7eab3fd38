"""URLs of two-step verification (R28)."""

# Namespaced "partners" (added to partners.portal_urls).
portal_patterns = []
# Not namespaced (added to partners.urls): the sign-in's second step.
auth_patterns = []
