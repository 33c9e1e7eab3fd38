"""Gunicorn settings, read automatically when gunicorn starts in this directory."""

# Request paths in the access log can carry an invitation link: redact them (R7).
logger_class = "config.access_log.RedactingGunicornLogger"
