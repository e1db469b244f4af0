"""``nnplug bench``: training throughput of every backend and peer, measured in
interleaved rounds, summarised as medians with their spread and paired ratios. The
plugin (:mod:`.plugin`) adds this command to ``nnplug``.

The measuring lives in the other modules of :mod:`nnplug_bench`; this module holds the
options and the order of the output (the short summary first). A further kind of
benchmark is one more flag here that dispatches to its own module, as ``--quality``
does (:mod:`.quality`).
"""

from __future__ import annotations

import sys

import click

from nnplug_bench.quality import quality_options

#: ``--seconds`` default: long enough for several S0/W1 epochs per measurement
DEFAULT_SECONDS = 0.3


def _workloads(ctx, param, value):
    from nnplug_bench.workloads import parse_workloads

    try:
        return parse_workloads(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _json_path(ctx, param, value):
    if value is None:
        return None
    from nnplug.errors import NNPlugError
    from nnplug.safeio.outputs import check_output

    try:
        check_output(value, "the JSON file")  # fail before measuring, not after
    except NNPlugError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command()
@click.option(
    "--workload",
    "workloads",
    default="all",
    show_default=True,
    callback=_workloads,
    help="Comma-separated: S0 (the default `nnplug train`: 64-256-BN-ReLU-"
    "dropout-10, batch 32, digits-shaped), W1 (784-256-BN-ReLU-256-BN-ReLU-10, "
    "batch 128), W2 (W1 1024 wide, batch 256), R1 (8-128-128-1 Adam "
    "regression, batch 32), or all.",
)
@click.option(
    "--layers",
    default=None,
    help="Time this hidden stack instead (workload C: a plugin's layers too, as nnplug "
    "train takes them), on the data, batch and task of the first --workload (S0 when "
    "all); PyTorch and scikit-learn peers are left out.",
)
@click.option(
    "--optimizer",
    default=None,
    help="With --layers (or alone): this optimizer in workload C (a plugin's too).",
)
@click.option("--lr", default=None, type=float, help="With workload C: its learning rate.")
@click.option(
    "--backend",
    "backends",
    default="all",
    show_default=True,
    help="Comma-separated nnplug backends, or all available ones.",
)
@click.option(
    "--peers/--no-peers",
    default=True,
    show_default=True,
    help="Also time PyTorch and scikit-learn on the same workloads, when they import.",
)
@click.option(
    "--rounds",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="Interleaved rounds; every engine is timed once per round.",
)
@click.option(
    "--seconds",
    default=DEFAULT_SECONDS,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Minimum time per measurement (whole epochs until it has passed).",
)
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1),
    help="BLAS threads for every engine [default: nnplug's policy per workload: "
    "$NNPLUG_THREADS, else 1 for small matrix products, else all cores].",
)
@click.option(
    "--concurrent",
    is_flag=True,
    help="Also time two identical runs at once (W1 and R1, as selected) against "
    "one alone, in subprocesses.",
)
@click.option(
    "--profile", is_flag=True, help="Also show where a per-op epoch's time goes, by backend op."
)
@click.option(
    "--json",
    "json_path",
    default=None,
    type=click.Path(dir_okay=False),
    callback=_json_path,
    help="Write everything measured to this JSON file.",
)
@quality_options
def bench(
    workloads,
    layers,
    optimizer,
    lr,
    backends,
    peers,
    rounds,
    seconds,
    threads,
    concurrent,
    profile,
    json_path,
    quality,
    **quality_opts,
):
    """Time training per backend and peer in interleaved rounds: medians, spreads, paired
    ratios, the GEMM-bound limit; warnings when the numbers cannot be trusted.

    With --quality: test metrics of nnplug's defaults beside scikit-learn (and PyTorch)."""
    if quality:
        from nnplug_bench.quality import run_quality

        return run_quality(**quality_opts)
    if layers or optimizer or lr is not None:
        from nnplug_bench.workloads import custom_workload

        base = workloads[0]
        custom_workload(base, layers, optimizer, lr)
        workloads, peers = ["C"], False  # the peers build the built-in stacks only
    speed(workloads, backends, peers, rounds, seconds, threads, concurrent, profile, json_path)


def speed(
    workloads: list[str],
    backends: str,
    peers: bool,
    rounds: int,
    seconds: float,
    threads: int | None,
    concurrent: bool,
    profile: bool,
    json_path: str | None,
) -> None:
    from nnplug.safeio.outputs import write_json
    from nnplug_bench import concurrent as two
    from nnplug_bench import report, suite
    from nnplug_bench.engines import backend_names
    from nnplug_bench.peers import available_peers

    if concurrent and not set(workloads) & set(two.CONCURRENT_WORKLOADS):
        raise click.BadParameter(
            "--concurrent measures W1 and R1: select one of them", param_hint="'--workload'"
        )
    names = backend_names(backends)
    if not names:
        raise click.BadParameter("no backend given", param_hint="'--backend'")
    found, missing = available_peers() if peers else ([], {})
    meta = {
        **suite.machine(),
        "options": {
            "workloads": workloads,
            "backends": names,
            "peers": found,
            "rounds": rounds,
            "seconds": seconds,
            "threads": threads,
        },
    }
    progress = _progress()
    results = [
        suite.bench_workload(
            wl, names + found, rounds=rounds, seconds=seconds, threads=threads, progress=progress
        )
        for wl in workloads
    ]
    meta["load_average_after"] = suite.load_average()
    warnings = suite.run_warnings(
        results, [meta["load_average"], meta["load_average_after"]], meta["cores"]
    )
    lines = report.summary(meta, results, warnings, rounds, seconds)
    lines += [f"Note: peer {name} skipped: {why}" for name, why in missing.items()]
    if progress is not None:
        progress("")  # erase the progress line
    click.echo("\n".join(lines))
    record = {"meta": meta, "workloads": results, "warnings": warnings}
    if concurrent:
        runs = two.run_all(
            [w for w in workloads if w in two.CONCURRENT_WORKLOADS],
            names + found,
            rounds=rounds,
            seconds=seconds,
            threads=threads,
            progress=progress,
        )
        click.echo("\n".join(report.concurrent_block(runs)))
        record["concurrent"] = runs
    if profile:
        from nnplug_bench.profile import profile as profile_epoch

        profiles = [profile_epoch(wl, name, threads) for wl in workloads for name in names]
        click.echo("\n".join(report.profile_section(profiles)))
        record["profile"] = profiles
    if json_path:
        write_json(json_path, record)
        click.echo(f"\nWrote {json_path}")


def _progress():
    """Progress lines on a terminal's stderr (erased as they go); nothing otherwise, so
    a log or CI output starts with the summary."""
    if not sys.stderr.isatty():
        return None

    def say(text: str) -> None:
        click.echo(f"\r\033[K{text}", err=True, nl=False)

    return say
