"""gunicorn settings for `gunicorn -c config/gunicorn.conf.py 'adserver:create_app()'` (the Procfile)."""

import os
import shutil
import tempfile
from pathlib import Path

from adserver.settings import SettingsError, load_settings

# /metrics adds up every worker's values through files in this directory (prometheus-client's multiprocess
# mode). Set here, before any worker imports prometheus-client. One directory per gunicorn master: left
# unset, a private temporary one (several masters on one machine must not share it).
# (This file is read again on SIGHUP: the directory made at the first read stays, and stays ours to remove.)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["ADSERVER_OWN_METRICS_DIR"] = tempfile.mkdtemp(
        prefix="adserver-metrics-"
    )

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threaded workers: a client that sends its request slowly holds one thread, not a whole worker (with
# sync workers three such clients stalled every request). gunicorn's gthread worker waits for a new
# connection's first bytes in its poller (5 s, then parks it), so idle connections hold no thread; a
# trickling sender holds one until it finishes. 64 threads per worker outlast 50 such clients; past that,
# or in production anyway, put a buffering proxy (nginx, a cloud load balancer) in front.
# WEB_THREADS=1: the old sync workers.
threads = int(os.environ.get("WEB_THREADS", "64"))
worker_class = "sync" if threads == 1 else "gthread"
worker_connections = 1000  # per worker: open connections, idle keep-alive ones included
timeout = 30
graceful_timeout = 20
keepalive = 5
# The longest request line and header the server reads (gunicorn's maxima). The OpenAPI schema's
# GET limits fit inside them, so a query string it allows is never refused with gunicorn's own 414.
limit_request_line = 8190
limit_request_field_size = 8190
accesslog = None  # the app writes the access log (adserver/infra/logs.py): with the request id, as JSON in production
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def _log_format() -> str:
    try:
        return load_settings().log_format
    except SettingsError:
        return "text"  # each worker stops with the setting's one line


if _log_format() == "json":  # gunicorn's own lines (boot, worker exits) as JSON too, like the app's
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},  # the app adds its own (adserver/infra/logs.py)
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "formatters": {"json": {"()": "adserver.infra.logs.json_formatter"}},
    }
control_socket_disable = True  # several gunicorns (dev, bench, tests) on one machine would share one socket path


def post_worker_init(worker):
    # The app's long-lived objects (catalog snapshot, model arrays, schemas) never become garbage:
    # move them out of the cyclic collector's sight so its pauses do not land in request latency.
    import gc

    gc.collect()
    gc.freeze()


def on_starting(server):
    # Values left by a previous run would be added to this one's: start from an empty directory.
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for f in metrics_dir.glob("*.db"):
        f.unlink()


def child_exit(server, worker):
    # A dead worker's gauges must not linger; its counters and histograms stay in the sums.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get("ADSERVER_OWN_METRICS_DIR") == os.environ["PROMETHEUS_MULTIPROC_DIR"]:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
