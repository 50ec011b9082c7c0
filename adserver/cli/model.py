"""`adserver model train|evaluate|list|activate|rollback`: the relevance model's artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .context import pass_ctx
from .progress import progress_bar


@click.group("model")
def group() -> None:
    """Train, evaluate and activate relevance-model versions (shared in SQL, cached in MODELS_DIR)."""


@group.command()
@click.option(
    "--corpus", type=click.Path(exists=True, dir_okay=False), help="JSON lines: title, text, topic, keywords."
)
@click.option(
    "--catalog", type=click.Path(exists=True, dir_okay=False), help="Catalog file instead of the SQL catalog."
)
@click.option("--holdout", default=0.1, show_default=True, help="Share of the corpus held out for the metrics.")
@click.option("--activate", "do_activate", is_flag=True, help="Serve the new version right away.")
@click.option(
    "--embedding", is_flag=True, help="Add the dense-embedding opinion (needs pip install 'adserver[embedding]')."
)
@pass_ctx
def train(ctx, corpus: str | None, catalog: str | None, holdout: float, do_activate: bool, embedding: bool) -> None:
    """Train a new version from the catalog, an optional corpus and the built-in base text."""
    from ..model import store
    from ..model.service import train_version

    snapshot = _snapshot(ctx, catalog)
    models_dir, db = _models_dir(ctx), ctx.services.db
    with progress_bar() as bar:
        path, meta = train_version(models_dir, snapshot.campaigns, corpus, holdout, embedding=embedding, progress=bar)
    store.publish(db, models_dir, meta["version"])  # every host can fetch it from now on
    click.echo(f"trained {meta['version']} in {meta['training_seconds']} s -> {path} and the database")
    click.echo(f"  sizes: {json.dumps(meta['sizes'])}; artifact {meta['artifact_bytes'] / 1e6:.2f} MB")
    if meta.get("evaluation"):
        click.echo(f"  evaluation: {json.dumps(meta['evaluation'])}")
    if do_activate:
        store.activate(db, models_dir, meta["version"])
        click.echo(f"activated {meta['version']}")


@group.command()
@click.option(
    "--ag-news", type=click.Path(exists=True, dir_okay=False), help="AG News test CSV (default: shared data)."
)
@click.option("--seed", default=0, show_default=True)
def evaluate(ag_news: str | None, seed: int) -> None:
    """Five-campaign benchmark: BBC held out, AG News, catalog only, and baselines (research data)."""
    from ..model.evaluate import format_table, run_benchmark

    with progress_bar() as bar:
        rows, info = run_benchmark(Path(ag_news) if ag_news else None, seed=seed, echo=click.echo, progress=bar)
    click.echo(format_table(rows))
    click.echo(json.dumps(info))


@group.command("list")
@pass_ctx
def list_(ctx) -> None:
    """Versions in the database and the models directory, the served one marked with '*'."""
    from ..model import store

    versions = store.versions(ctx.services.db, _models_dir(ctx))
    if not versions:
        click.echo(f"no models in the database or {ctx.settings.models_path}")
    for v in versions:
        mark = "*" if v["active"] else " "
        sizes = v.get("sizes", {})
        click.echo(
            f"{mark} {v['version']}  sklearn {v.get('sklearn_version', '?')}  "
            f"{sizes.get('documents', '?')} docs  {sizes.get('labels', '?')} labels  "
            f"{v.get('artifact_bytes', 0) / 1e6:.2f} MB  {json.dumps(v.get('evaluation', {}))}"
            + ("  (this host only: activate it to share it)" if v["local_only"] else "")
        )


@group.command()
@click.argument("version")
@pass_ctx
def activate(ctx, version: str) -> None:
    """Serve VERSION on every host (web workers pick it up within model_poll_seconds, no restart)."""
    from ..model import store

    store.activate(ctx.services.db, _models_dir(ctx), version)
    click.echo(f"activated {version}")


@group.command()
@pass_ctx
def rollback(ctx) -> None:
    """Re-activate the previously active version."""
    from ..model import store

    click.echo(f"activated {store.rollback(ctx.services.db, _models_dir(ctx))}")


def _models_dir(ctx) -> Path:
    """MODELS_DIR, seeded with the shipped versions when it was never written (the repository's models/ never is)."""
    from ..model import artifacts

    path = ctx.settings.models_path
    artifacts.seed(path)
    return path


def _snapshot(ctx, catalog: str | None):
    if catalog:
        from ..model.catalogs import snapshot_from_file

        return snapshot_from_file(catalog)
    return ctx.services.catalog.get()
