"""Gunicorn's access log, with invitation links redacted (R7).

Access log lines carry the request path and the Referer, and an acceptance path
carries the link itself. gunicorn.conf.py (read by gunicorn from the working
directory) selects this logger.
"""

from gunicorn.glogging import Logger

from config.logging import redact


class RedactingGunicornLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {
            key: redact(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }

    # The error log names the request too ("Error handling request <uri>").
    def error(self, msg, *args, **kwargs):
        super().error(redact(str(msg)), *_redacted(args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(redact(str(msg)), *_redacted(args), **kwargs)


def _redacted(args):
    return [redact(a) if isinstance(a, str) else a for a in args]
