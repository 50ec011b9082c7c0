"""gunicorn settings for `gunicorn -c config/gunicorn.conf.py 'adserver:create_app()'` (the Procfile)."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
control_socket_disable = True  # several gunicorns (dev, bench, tests) on one machine would share one socket path


def post_worker_init(worker):
    # The app's long-lived objects (catalog snapshot, model arrays, schemas) never become garbage:
    # move them out of the cyclic collector's sight so its pauses do not land in request latency.
    import gc

    gc.collect()
    gc.freeze()
