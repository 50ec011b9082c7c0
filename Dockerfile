# The service's image, for docker and podman. Settings come from the environment only (config/defaults.toml
# holds the public defaults); SECRET_KEY and PUBLIC_URL or ALLOWED_HOSTS must be set, as everywhere in production.
#   web (default):  gunicorn -c config/gunicorn.conf.py 'adserver:create_app()'   (the Procfile's web line)
#   worker:         adserver worker
#   anything else:  adserver db upgrade, adserver tokens create ..., adserver --help
# Dependencies come from a wheelhouse when there is one (`make image` builds var/wheelhouse on the host, for
# builders that cannot reach a package registry), else from the registry (`docker compose up --build`).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
COPY . /src
# The service's venv gets no pip or setuptools (a throwaway venv's pip installs into it), no test suites of
# its libraries, and bytecode only for the modules the web and worker processes import: every module of
# adserver's, and the libraries' it loads on first use (the rest would be about 80 MB of .pyc never read).
RUN python3 -m venv /opt/pip && python3 -m venv --without-pip /opt/adserver \
 && if ls /src/var/wheelhouse/adserver-*.whl >/dev/null 2>&1; \
    then set -- --no-index --find-links /src/var/wheelhouse 'adserver[postgres]'; else set -- '/src[postgres]'; fi \
 && /opt/pip/bin/pip --python /opt/adserver/bin/python install --quiet --no-cache-dir --no-compile "$@" \
 && find /opt/adserver -depth -type d -name tests -exec rm -rf {} + \
 && /opt/adserver/bin/python -c 'import importlib, pkgutil, adserver; \
      [importlib.import_module(m.name) for m in pkgutil.walk_packages(adserver.__path__, "adserver.") \
       if m.name != "adserver.__main__"]; \
      import gunicorn.app.wsgiapp, gunicorn.workers.gthread, psycopg, model2vec, rq.worker, \
      sklearn.feature_extraction.text, sklearn.linear_model, sklearn.naive_bayes'

FROM ${BASE}
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin adserver
COPY --from=build /opt/adserver /opt/adserver
WORKDIR /app
# What the service reads beside its package: defaults, gunicorn's settings, the example catalog (the demo)
# and the shipped ranking model (read only; MODELS_DIR under var/ is seeded from it).
COPY config/defaults.toml config/gunicorn.conf.py config/catalog.example.yaml /app/config/
COPY models /app/models
RUN mkdir -p /app/var && chown adserver:adserver /app/var
ENV PATH=/opt/adserver/bin:$PATH \
    ADSERVER_ROOT=/app \
    ENVIRONMENT=production \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# SQLite (the default DATABASE_URL), the models cache and the event spool live here.
VOLUME /app/var
USER adserver
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "adserver:create_app()"]
