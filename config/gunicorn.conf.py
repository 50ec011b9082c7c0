"""gunicorn settings for `web:` in the Procfile: `gunicorn -c config/gunicorn.conf.py 'adserver:create_app()'`.

PORT and WEB_CONCURRENCY follow the usual platform conventions; the access log is off unless asked for.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn 24+ opens a control socket at one shared path per user; several servers on one machine
# (dev, benchmarks, tests) would fight over it, and we don't use it.
control_socket_disable = True
