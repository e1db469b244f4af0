"""``nnplug datasets`` (list) and ``nnplug datasets fetch NAME`` (download ahead of time)."""

from __future__ import annotations

import json

import click

DATA_DIR_HELP = "Data folder [default: $NNPLUG_DATA, else the per-user cache]."


@click.group(invoke_without_command=True)
@click.option("--data-dir", default=None, type=click.Path(file_okay=False), help=DATA_DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def datasets(ctx, data_dir, as_json):
    """List dataset plugins: name, task, shape, where the files are, cached or not
    (or your own file)."""
    if ctx.invoked_subcommand is not None:
        return
    from nnplug.base import Dataset
    from nnplug.cli.doctext import first_sentence
    from nnplug.registry.registry import get_registry

    rows = []
    for comp in get_registry().components("dataset"):
        row = {
            "name": comp.name,
            "plugin": comp.plugin,
            "task": getattr(comp.cls, "task", ""),
            "shape": getattr(comp.cls, "shape", ""),
            "summary": comp.summary,
        }
        try:
            ds = comp.cls()
            user_file = reads_your_file(comp.cls)
            row.update(
                location=ds.location(data_dir),
                cached=bool(ds.is_cached(data_dir)) and not user_file,
                downloadable=type(ds).fetch is not Dataset.fetch,
                user_file=user_file,
            )
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not hide the rest
            row.update(
                location=f"error: {type(exc).__name__}: {exc}",
                cached=False,
                downloadable=False,
                user_file=False,
            )
        rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max([len(r["name"]) for r in rows] + [4])
    for r in rows:
        state = "cached" if r["cached"] else ("missing" if r["downloadable"] else "-")
        state = "your file" if r["user_file"] else state
        click.echo(f"{r['name']:<{width}}  {r['task']:<14}  {state:<9}  {r['shape']}")
        click.echo(f"{'':<{width}}  {first_sentence(r['summary'])}")
        click.echo(f"{'':<{width}}  files: {r['location']}")


def reads_your_file(cls: type) -> bool:
    """A dataset of the user's own file (it declares a ``"file"`` option, e.g. ``--data``),
    rather than of files it downloads or ships."""
    return any(getattr(o, "type", None) == "file" for o in getattr(cls, "cli_options", ()) or ())


class _Bars:
    """``progress(filename, done, total)`` callback drawing one click progress bar per file."""

    def __init__(self):
        self.name, self.bar, self.done = None, None, 0

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name != self.name:
            self.close()
            self.name, self.done = name, 0
            self.bar = click.progressbar(
                length=total or 0, label=name, show_pos=False, show_percent=bool(total)
            )
            self.bar.__enter__()
        if self.bar is not None and done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            click.echo(f"  {self.name}: {self.done / 1e6:.1f} MB")
            self.bar = None


@datasets.command()
@click.argument("name")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def fetch(name, data_dir):
    """Download dataset NAME's files into the cache (checksummed) with a progress bar."""
    from nnplug.base import Dataset
    from nnplug.registry.resolve import make_component
    from nnplug.spec import parse_token

    ds = make_component("dataset", parse_token(name))
    where = ds.location(data_dir)
    if type(ds).fetch is Dataset.fetch:  # the base class's: no files to fetch
        if reads_your_file(type(ds)):
            click.echo(f"{name}: nothing to download: it reads your own file (--data FILE)")
        else:
            click.echo(f"{name}: nothing to download ({where})")
        return
    if ds.is_cached(data_dir):
        click.echo(f"{name}: already complete in {where}")
        return
    click.echo(f"{name}: fetching into {where}")
    bars = _Bars()
    try:
        path = ds.fetch(data_dir, progress=bars)
    finally:
        bars.close()
    click.echo(f"{name}: ready in {path}")
