"""URLs of Users (R26), My account (R30) and passwords (R27)."""

# Namespaced "partners" (added to partners.portal_urls).
portal_patterns = []
# Not namespaced (added to partners.urls): Django's password-reset names.
auth_patterns = []
