"""The grid: values parsed as nnplug train parses its options, one-line errors, the order
and the seeded sample of trials, their ids, and the printed nnplug train command lines."""
from __future__ import annotations

import os
import shlex

import pytest

from nnplug.cli.dataset_options import META_KEY
from nnplug.cli.sweep.command import grid_params
from nnplug.cli.sweep.command import sweep as sweep_command
from nnplug.cli.train import train as train_command
from nnplug.cli.sweep.grid import Trial, parse_grid, points


def parse(text: str, *args: str):
    ctx = sweep_command.make_context("sweep", ["--grid", text, *args])
    with ctx:
        return dict(parse_grid(text, grid_params(ctx), ctx))


def dry_run(cli, *args):
    """``[(id, nnplug train command)]`` of ``nnplug sweep --dry-run ARGS``."""
    res = cli("sweep", "--dry-run", *args)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    return [(head.split()[0], cmd.strip()) for head, cmd in zip(lines[::2], lines[1::2])]


def test_values_get_the_types_of_the_train_options():
    got = parse("lr=0.01,1e-3; hidden=8,16; dtype=float64; --scale-target=false,true;"
                "patience=none,5; weight_decay=0")
    assert got["lr"] == [0.01, 0.001] and all(type(v) is float for v in got["lr"])
    assert got["hidden"] == [8, 16] and all(type(v) is int for v in got["hidden"])
    assert got["dtype"] == ["float64"]
    assert got["scale_target"] == [False, True]
    assert got["patience"] == [None, 5]
    assert got["weight_decay"] == [0.0]


def test_layer_specs_and_dataset_list_options_are_separated_by_bars():
    got = parse("layers=linear,relu|linear:64,batchnorm,relu;classes=3,8|1,7")
    assert got["layers"] == ["linear,relu", "linear:64,batchnorm,relu"]
    assert got["classes"] == ["3,8", "1,7"]  # digits' own option (--classes)


def test_path_values_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parse("data-dir=here,there")["data_dir"] == [str(tmp_path / "here"),
                                                        str(tmp_path / "there")]


@pytest.mark.parametrize("grid, args, message", [
    ("lr=abc", [], "--grid: lr=abc: 'abc' is not a valid float."),
    ("hidden=1.5", [], "--grid: hidden=1.5: '1.5' is not a valid integer."),
    ("dtype=float16", [], "--grid: dtype=float16: 'float16' is not one of"),
    ("foo=1", [], "--grid: 'foo' is not a training option a sweep can vary"),
    ("save=m.npz", [], "--grid: 'save' is not a training option a sweep can vary"),
    ("lr", [], "--grid: 'lr' is not NAME=VALUE,VALUE"),
    ("lr=", [], "--grid: 'lr=' has an empty value"),
    ("lr=0.1,,0.2", [], "has an empty value"),
    ("lr=0.1;lr=0.2", [], "--grid: 'lr' is listed twice"),
    ("lr=0.1,0.1", [], "lists a value twice"),
    (" ; ", [], "--grid is empty"),
    ("lr=0.1", ["--lr", "0.2"], "--grid: 'lr' is also given as --lr; give it in one place"),
    ("classes=3", ["--dataset", "california"], "'classes' is not a training option"),
    ("lr=0.1", ["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"],
     "--workers is for local sweeps"),
])
def test_a_bad_grid_is_one_error_line_and_exit_2(cli, tmp_path, grid, args, message):
    res = cli("sweep", "--grid", grid, "--out", tmp_path / "out", *args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_a_bad_base_option_stops_before_any_trial(cli, tmp_path):
    res = cli("sweep", "--grid", "lr=0.1", "--momentum", "1.5", "--out", tmp_path / "out")
    assert res.exit_code == 1
    assert res.stderr.strip() == "Error: --momentum must be in [0, 1)"
    assert not (tmp_path / "out").exists()


def test_trials_cover_the_grid_in_order_the_last_option_fastest():
    axes = [("lr", [0.1, 0.2]), ("hidden", [8, 16, 32])]
    assert points(axes) == [{"lr": lr, "hidden": h} for lr in (0.1, 0.2) for h in (8, 16, 32)]


def test_random_draws_a_seeded_sample_without_replacement(cli):
    axes = [("lr", [0.1, 0.2, 0.3]), ("hidden", [8, 16, 32, 64])]
    every = points(axes)
    draw = points(axes, 5, seed=7)
    assert draw == points(axes, 5, seed=7)  # seeded
    assert len(draw) == 5 and len({tuple(p.values()) for p in draw}) == 5
    assert draw == [p for p in every if p in draw]  # a subset, kept in grid order
    assert [points(axes, 5, seed=s) for s in range(5)] != [draw] * 5  # the seed matters
    assert points(axes, 50) == every
    res = cli("sweep", "--dry-run", "--grid", "lr=0.1,0.2", "--random", "5")
    assert "note: --random 5 is more than the 2 grid points: running all of them" in res.stderr


def test_a_trial_id_depends_on_its_options_only(cli):
    one = dict(dry_run(cli, "--grid", "lr=0.01,0.05;hidden=16,32"))
    two = dict(dry_run(cli, "--grid", "hidden=32,16;lr=0.05,0.01"))
    assert set(one) == set(two) and len(one) == 4
    other = dict(dry_run(cli, "--grid", "lr=0.01,0.05;hidden=16,32", "--epochs", "5"))
    assert not set(other) & set(one)


def test_the_printed_command_is_the_trial_exactly(cli, tmp_path, monkeypatch):
    """Parse each printed ``nnplug train`` line with nnplug train's own parser: the options
    it gives hash to the trial's id (the id covers every option, defaults included)."""
    monkeypatch.chdir(tmp_path)
    trials = dry_run(cli, "--grid", "lr=0.01,0.05;layers=linear,relu|linear:64,relu;"
                     "scale-target=true,false;patience=none,3", "--classes", "3,8",
                     "--data-dir", "data", "--threads", "2", "--optimizer", "nesterov")
    assert len(trials) == 16
    for trial_id, line in trials:
        words = shlex.split(line)
        assert words[:2] == ["nnplug", "train"]
        os.chdir("/")  # the paths in the line are absolute
        with train_command.make_context("train", words[2:]) as ctx:
            declared = [p.name for p in ctx.meta[META_KEY][1]]
            options = {k: v for k, v in ctx.params.items() if k in grid_params(ctx)}
        dataset = {k: options.pop(k) for k in declared if options.get(k) is not None}
        for k in declared:
            options.pop(k, None)
        assert Trial({}, options, dataset).id == trial_id, line
        assert options["data_dir"] == str(tmp_path / "data") and options["threads"] == 2


def test_the_help_states_one_default_for_threads(cli):
    """Issue 20: the sweep's --help said '--threads defaults to 1 here' above an option
    whose help gave nnplug train's default (all cores for large products)."""
    sweep_help = " ".join(cli("sweep", "--help").output.split())
    assert ("--threads INTEGER BLAS threads. [default: $NNPLUG_THREADS, else 1 (one BLAS "
            "thread per trial)]") in sweep_help
    assert "all cores" not in sweep_help
    train_help = " ".join(cli("train", "--help").output.split())  # train keeps its policy
    assert "all cores otherwise" in train_help and "per trial" not in train_help
