"""A dataset declares its own ``nnplug train`` options (``cli_options``): the built-ins'
flags come from their classes, a third-party dataset's work the same way, and a bad or
clashing declaration is one line naming the plugin."""

import types

import numpy as np
import pytest
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Data, Dataset
from nnplug.cli import main
from nnplug.options import Option
from nnplug.registry import Registry

MADE = []


class Weather(Dataset):
    """Readings from one station (a test dataset)."""

    name = "weather"
    cli_options = (
        Option("station", "Station code."),
        Option("days", "Days of history.", type=int),
        Option("fahrenheit", "Temperatures in Fahrenheit.", type=bool),
        Option("unit_system", "Units.", choices=("si", "imperial")),
        Option("data", "A local copy.", type="file"),
    )

    def __init__(self, station="EGLL", days=30, fahrenheit=False, unit_system="si", data=None):
        super().__init__()
        MADE.append(
            {
                "station": station,
                "days": days,
                "fahrenheit": fahrenheit,
                "unit_system": unit_system,
                "data": data,
            }
        )

    def load(self, *, seed=0, val_fraction=0.1, data_dir=None):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((60, 3)).astype(np.float32)
        y = (X[:, 0] > 0).astype(np.int64)
        return Data(X[:40], y[:40], X[40:50], y[40:50], X[50:], y[50:], classes=["dry", "wet"])


def dataset_plugin(*classes):
    return types.SimpleNamespace(
        nnplug_register_datasets=hookimpl(lambda register: [register(c) for c in classes])
    )


@pytest.fixture
def train(use_registry):
    reg = Registry()
    assert reg.add_plugin(dataset_plugin(Weather), "wx", dist="nnplug-wx", version="1.0")
    use_registry(reg)
    MADE.clear()

    def run(*args):
        return CliRunner().invoke(main, ["train", *map(str, args)])

    return run


def one_error(res):
    assert res.exit_code != 0 and "Traceback" not in res.output
    (line,) = res.output.splitlines()
    assert line.startswith("Error: ")
    return line


@pytest.mark.parametrize(
    "dataset,present,absent",
    [
        ("csv", ["--data", "--target", "--features", "--task", "--drop-missing"], ["--classes"]),
        ("digits", ["--classes"], ["--data", "--target"]),
        ("mnist", ["--classes"], ["--target"]),
        (
            "weather",
            ["--station", "--days", "--fahrenheit", "--unit-system", "--data"],
            ["--classes"],
        ),
    ],
)
def test_help_lists_the_chosen_datasets_options(train, dataset, present, absent):
    out = train("--dataset", dataset, "--help").output
    listed = {line.split()[0] for line in out.splitlines() if line.strip().startswith("--")}
    assert set(present) <= listed and not set(absent) & listed
    assert f"Options of dataset '{dataset}': {present[0]}" in out
    assert "--layers" in listed and "--epochs" in listed


def test_help_without_a_dataset_says_where_the_options_are(train):
    """(tests/registry/test_startup.py: it imports no plugin code)"""
    out = train("--help").output
    assert "--classes" not in out and "--target" not in out
    assert "see 'nnplug train --dataset NAME --help'" in " ".join(out.split())


def test_a_third_party_datasets_options_reach_its_constructor(train, tmp_path):
    res = train(
        "--dataset",
        "weather",
        "--station",
        "LFPG",
        "--days",
        "3",
        "--fahrenheit",
        "--unit-system",
        "imperial",
        "--data",
        tmp_path / "w.csv",
        "--epochs",
        "1",
        "--quiet",
        "--log-file",
        "",
    )
    assert res.exit_code == 0, res.output
    assert MADE[-1] == {
        "station": "LFPG",
        "days": 3,
        "fahrenheit": True,
        "unit_system": "imperial",
        "data": str(tmp_path / "w.csv"),
    }


@pytest.mark.parametrize("spec", ["weather", "wx/weather", "weather:station=EDDF"])
def test_options_not_given_are_not_passed(train, spec):
    res = train("--dataset", spec, "--epochs", "1", "--quiet", "--log-file", "")
    assert res.exit_code == 0, res.output
    assert MADE[-1]["days"] == 30 and MADE[-1]["fahrenheit"] is False
    assert MADE[-1]["station"] == ("EDDF" if ":" in spec else "EGLL")


def test_typed_options_are_checked_by_the_cli(train):
    assert "'abc' is not a valid integer" in one_error(
        train("--dataset", "weather", "--days", "abc")
    )
    assert "'metric' is not one of 'si', 'imperial'" in one_error(
        train("--dataset", "weather", "--unit-system", "metric")
    )


def test_another_datasets_option_names_its_owners(train):
    line = one_error(train("--dataset", "weather", "--classes", "0,1"))
    assert line == (
        "Error: dataset 'weather' has no option 'classes' (--classes is an option "
        "of digits, fashion_mnist, mnist); its options: --station, --days, "
        "--fahrenheit, --unit-system, --data"
    )
    assert "No such option '--nope'" in one_error(train("--dataset", "weather", "--nope"))


class Clashing(Weather):
    """Declares an option train already has."""

    name = "clashing"
    cli_options = (Option("epochs", "Oops."),)


class Malformed(Weather):
    """Declares options the wrong way."""

    name = "malformed"
    cli_options = (Option("when", "A date.", type=list),)


@pytest.mark.parametrize(
    "dataset,message",
    [
        (
            "clashing",
            "Error: dataset 'clashing' from plugin 'odd' (nnplug-odd 2.0) declares "
            "option --epochs, which nnplug train already has",
        ),
        (
            "malformed",
            "Error: dataset 'malformed' from plugin 'odd' (nnplug-odd 2.0): option "
            "--when has type <class 'list'>; use one of str, int, float, bool or 'file'",
        ),
    ],
)
def test_a_bad_declaration_is_one_line_naming_the_plugin(use_registry, dataset, message):
    reg = Registry()
    assert reg.add_plugin(
        dataset_plugin(Clashing, Malformed), "odd", dist="nnplug-odd", version="2.0"
    )
    use_registry(reg)
    res = CliRunner().invoke(main, ["train", "--dataset", dataset])
    assert one_error(res) == message
    assert (
        CliRunner().invoke(main, ["train", "--epochs", "1", "--quiet", "--log-file", ""]).exit_code
        == 0
    )  # other datasets are unaffected


def test_the_built_in_flags_come_from_the_dataset_classes(registry):
    declared = {
        c.name: [o.flag for o in getattr(c.cls, "cli_options", ())]
        for c in registry.components("dataset")
    }
    assert declared == {
        "digits": ["--classes", "--scale"],
        "mnist": ["--classes"],
        "fashion_mnist": ["--classes"],
        "california": ["--scale"],
        "csv": ["--data", "--task", "--drop-missing", "--scale", "--target", "--features",
                "--exclude"],
        "npz": ["--data", "--task", "--drop-missing", "--scale", "--exclude"],
    }
