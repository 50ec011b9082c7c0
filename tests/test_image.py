"""The container image as an operator runs it: built by `make image` from a base made of Debian's packages
(scripts/base-image), its web and worker containers on the test's PostgreSQL and Redis (host network).

One build per run: a single test (pytest-xdist spreads tests, not builds, over its workers), in the PostgreSQL
pass only (scripts/test runs the suite twice), skipped, saying why, where podman cannot run containers."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, text

from adserver.infra import keys
from adserver.infra.redis_server import free_port
from tests.builders import BROWSER
from tests.conftest import BACKEND, ROOT, throwaway_postgres

pytestmark = [pytest.mark.slow, pytest.mark.image, pytest.mark.postgresql]  # built once, in that pass

PODMAN = str(ROOT / "scripts" / "podman")
IMAGE = "localhost/adserver:test"
SECRET = "image-test-" + uuid.uuid4().hex  # 43 random-enough characters: accepted in production
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())  # the containers run here run its commands


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check and run.returncode:
        raise AssertionError(f"podman {' '.join(args)} exited {run.returncode}: {run.stderr[-3000:]}")
    return run


def podman_problem() -> str:
    """Why podman cannot run containers here ('' when it can)."""
    if not shutil.which("podman"):
        return "podman is not installed (scripts/test installs podman, runc and mmdebstrap when run as root)"
    if not shutil.which("mmdebstrap"):
        return "mmdebstrap is not installed: the base image is made with it"
    info = subprocess.run([PODMAN, "info"], capture_output=True, text=True, timeout=60)
    if info.returncode:
        return f"podman cannot run here: {info.stderr.strip().splitlines()[-1:]}"
    return ""


@pytest.fixture
def image():
    if BACKEND != "postgresql":
        pytest.skip("the image is built and run once, in the PostgreSQL pass")
    if problem := podman_problem():
        pytest.skip(problem)
    base = subprocess.run([str(ROOT / "scripts" / "base-image")], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert base.returncode == 0, base.stderr[-3000:]
    started = time.monotonic()
    build = subprocess.run(
        ["make", "image", f"BASE={base.stdout.strip()}", f"IMAGE={IMAGE}", "CONTAINER=" + PODMAN],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-3000:]
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout)
    print(f"image {IMAGE}: {size / 1e6:.0f} MB, built in {time.monotonic() - started:.0f} s")
    assert size < 600e6, f"the image grew to {size / 1e6:.0f} MB (549 MB measured; README, Production)"
    yield IMAGE
    podman("rmi", "--force", IMAGE, check=False)


@pytest.fixture
def stack(image, redis_url):
    """A migrated PostgreSQL database with the example catalog, and web and worker containers on it."""
    names = []
    with throwaway_postgres("adserver_image") as db_url:
        port = free_port()
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET,
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
        }
        flags = [f"--env={k}={v}" for k, v in env.items()]
        podman("run", "--rm", *flags, image, *COMPOSE["services"]["migrate"]["command"])
        redis.Redis.from_url(redis_url).flushdb()
        try:
            for role, command in (("web", []), ("worker", COMPOSE["services"]["worker"]["command"])):
                name = f"adserver-test-{role}-{uuid.uuid4().hex[:8]}"
                podman("run", "--detach", f"--name={name}", *flags, image, *command)
                names.append(name)
            yield {"port": port, "db_url": db_url, "web": names[0], "worker": names[1]}
        finally:
            for name in names:
                logs = podman("logs", name, check=False)
                print(f"--- {name}\n{logs.stdout[-2000:]}{logs.stderr[-4000:]}")
                podman("rm", "--force", "--volumes", "--time=10", name, check=False)


def running(name: str) -> bool:
    return podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip() == "true"


def wait_for(condition, what: str, containers: list[str], timeout: float = 180):
    """Poll `condition` until it is truthy; fail at once when a container has stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in containers:
            assert running(name), f"{name} stopped while waiting for {what}"
        if result := condition():
            return result
        time.sleep(0.3)
    raise AssertionError(f"no {what} within {timeout:.0f} s")


def fetch(port: int, path: str, method: str = "GET", headers: dict | None = None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def serves_a_decision_and_stores_its_view_once(stack, redis_url):
    port, web = stack["port"], stack["web"]
    containers = [web, stack["worker"]]
    wait_for(lambda: fetch(port, "/healthz")[0] == 200, "answer on /healthz", [web])
    wait_for(lambda: fetch(port, "/readyz")[0] == 200, "readiness (/readyz)", [web])
    assert podman("healthcheck", "run", web, check=False).returncode == 0  # the image's own HEALTHCHECK

    status, body = fetch(port, "/v1/decision?topic=artificial-intelligence&title=agents", headers=BROWSER)
    assert status == 200, body
    decision = json.loads(body)
    assert decision["campaign"]["id"] == "zahid-ai-side-projects"
    view = urlsplit(decision["tracking"]["view_url"]).path
    for _ in range(2):  # a retried beacon
        assert fetch(port, view, "POST", BROWSER)[0] == 204

    engine = create_engine(stack["db_url"])
    count = text("SELECT event_type, count(*) FROM events WHERE decision_id = :d GROUP BY event_type")

    def stored():
        with engine.connect() as c:
            got = dict(c.execute(count, {"d": decision["decision_id"]}).all())
        return got if got.get("view") and got.get("impression") else None

    wait_for(stored, "impression and view rows in SQL", containers)
    r = redis.Redis.from_url(redis_url)
    queue = Queue("adserver-events", connection=r)
    wait_for(
        lambda: r.llen(keys.INCOMING) == 0 and queue.count == 0 and StartedJobRegistry(queue=queue).count == 0,
        "every queued event persisted",
        containers,
    )
    assert stored() == {"impression": 1, "view": 1}
    engine.dispose()

    # The processes run as the image's own user, never root.
    status_lines = podman("exec", web, "cat", "/proc/1/status").stdout.splitlines()
    uid = next(line.split()[1] for line in status_lines if line.startswith("Uid:"))
    assert uid != "0"
    assert podman("exec", web, "id", "-un").stdout.strip() == "adserver"


def refuses_to_start_without_a_secret_key(image):
    env = [f"--env=PUBLIC_URL=http://127.0.0.1:{free_port()}", f"--env=PORT={free_port()}", "--env=WEB_CONCURRENCY=1"]
    run = podman("run", "--rm", *env, image, timeout=180, check=False)  # the default command: the web server
    assert run.returncode != 0
    assert "SECRET_KEY is the public development default" in run.stdout + run.stderr
    cli = podman("run", "--rm", *env, image, "adserver", "advertisers", "list", check=False)
    assert cli.returncode == 2 and "SECRET_KEY" in cli.stderr


def holds_no_tests_compilers_or_dev_tools(image):
    listing = podman("run", "--rm", image, "sh", "-c", "ls /app; command -v gcc cc pip pytest ruff || true").stdout
    assert listing.split() == ["config", "models", "var"]
    has = podman(
        "run",
        "--rm",
        image,
        "python3",
        "-c",
        "import importlib.util as u; print(bool(u.find_spec('torch')), bool(u.find_spec('pytest')))",
    ).stdout.strip()
    assert has == "False False"
    encoder = podman(
        "run",
        "--rm",
        image,
        "python3",
        "-c",
        "from adserver.model.encoder import Encoder; print(Encoder().embed_one('a robot arm').shape)",
    ).stdout.strip()
    assert encoder == "(256,)"  # the topic reader's encoder is in the image, its sha256 checked on load


def test_the_image_as_an_operator_runs_it(image, stack, redis_url):
    serves_a_decision_and_stores_its_view_once(stack, redis_url)
    refuses_to_start_without_a_secret_key(image)
    holds_no_tests_compilers_or_dev_tools(image)


def test_compose_starts_web_and_worker_once_migrated_on_healthy_stores():
    services = COMPOSE["services"]
    assert set(services) == {"migrate", "web", "worker", "postgres", "redis"}
    for store in ("postgres", "redis"):
        assert services[store]["healthcheck"]["test"][0] == "CMD"
        assert services["migrate"]["depends_on"][store] == {"condition": "service_healthy"}
    for role in ("web", "worker"):
        assert services[role]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert services[role]["image"] == services["migrate"]["image"] == "localhost/adserver:latest"
    assert "command" not in services["web"] and "healthcheck" not in services["web"]  # the image's own
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]
    assert services["migrate"]["restart"] == "no"
    assert "SECRET_KEY:?" in (ROOT / "compose.yaml").read_text()  # no default secret: compose refuses to start
