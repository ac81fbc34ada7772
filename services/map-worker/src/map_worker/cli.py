"""`map-worker` (also `python -m map_worker`, the container's entrypoint)."""

from __future__ import annotations

import time

import click

from ftm_shared.cli_support import run_cli, service_group
from map_worker.config import MapWorkerSettings


@service_group(
    "map-worker",
    "Per-firm topics on Ray, named by the LLM. The `run` command arrives with the map issue.",
    MapWorkerSettings,
)
def group() -> None:
    pass


@group.command("embed")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1, 4096))
@click.argument("texts", nargs=-1, required=True)
def embed_command(batch_size: int, texts: tuple[str, ...]) -> None:
    """Embed TEXTS with the bundled MiniLM model and print their cosine similarities."""
    from map_worker.embed import embed

    started = time.perf_counter()
    vectors = embed(texts, batch_size=batch_size)
    click.echo(
        f"{len(texts)} text(s) -> {vectors.shape[1]}-d in {time.perf_counter() - started:.2f}s"
    )
    similarity = vectors @ vectors.T
    for i, text in enumerate(texts):
        row = "  ".join(f"{value:5.2f}" for value in similarity[i])
        click.echo(f"{row}  {text[:60]}")


def main() -> None:
    run_cli(group)
