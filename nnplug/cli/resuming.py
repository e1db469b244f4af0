"""``nnplug train --resume DIR``: the run a checkpoint recorded, with paths from the
command line only.

A checkpoint is data, as a model file is: it never chooses what is read. Its recorded
configuration gives the run's options (options given again must agree with it, except
``--epochs`` and ``--patience``), but no path: ``--data-dir`` and the dataset options that
name files (``--data``) come from the command line, and a checkpoint that recorded one
asks for it again in one line (``Error: ck/last.npz was trained on a csv file; pass that
file (or another) with --dataset csv --data FILE``). So a foreign ``last.npz`` cannot make
nnplug read ``/etc/shadow`` or a folder of planted files, and no error can echo a file the
user did not name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from nnplug.cli.evaluate import is_path_option
from nnplug.errors import NNPlugError
from nnplug.nn.config import TrainConfig, flag
from nnplug.safeio.text import one_line


def _differs(name: str, value: Any, saved: Any) -> NNPlugError:
    return NNPlugError(
        f"{flag(name)} {one_line(str(value), 60)} differs from the checkpoint's "
        f"{one_line(repr(saved), 60)}; drop it when resuming"
    )


def _paths(checkpoint: Any, saved: dict[str, Any], given: TrainConfig) -> None:
    """Replace every path of the ``saved`` configuration by the command line's (``given``);
    a recorded path the command line does not give again is a one-line error."""
    dataset = one_line(str(saved.get("dataset") or given.dataset).split("/")[-1], 40)
    if saved.get("data_dir") is not None and given.data_dir is None:
        raise NNPlugError(
            f"{checkpoint.path} was trained with --data-dir; pass that folder (or another) "
            f"with --data-dir DIR (a checkpoint never chooses what is read)"
        )
    saved["data_dir"] = given.data_dir
    options = saved.get("dataset_options")
    if not isinstance(options, dict):
        return  # TrainConfig.validate refuses it in one line
    recorded = sorted(k for k, v in options.items() if is_path_option(k) and v is not None)
    for key in [k for k in options if is_path_option(k)]:
        del options[key]
    for key, value in given.dataset_options.items():
        if is_path_option(key):
            options[key] = value
        elif options.get(key) != value:
            raise _differs(key, value, options.get(key))
    missing = [k for k in recorded if k not in options]
    if missing:
        what = "file" if missing[0] == "data" else flag(missing[0])[2:]
        raise NNPlugError(
            f"{checkpoint.path} was trained on a {dataset} {what}; pass that {what} (or "
            f"another) with --dataset {dataset} {flag(missing[0])} "
            f"{'FILE' if what == 'file' else 'PATH'} (a checkpoint never chooses what is read)"
        )


def resumed_config(checkpoint: Any, options: dict[str, Any], given: TrainConfig) -> TrainConfig:
    """The checkpoint's configuration with the paths of the command line (``given``: the
    configuration the command line alone describes); other options given on the command
    line must agree with it, except ``--epochs`` (train longer) and ``--patience``."""
    ctx = click.get_current_context()
    saved = checkpoint.config
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    given_names = set()
    for name, value in options.items():
        source = ctx.get_parameter_source(name)
        if name not in fields or source is None or source.name != "COMMANDLINE":
            continue
        given_names.add(name)
        if name in ("epochs", "patience"):
            saved[name] = value
        elif name != "data_dir" and saved.get(name) != value:
            raise _differs(name, value, saved.get(name))
    _paths(checkpoint, saved, given)
    try:
        config = TrainConfig(**{k: v for k, v in saved.items() if k in fields})
        config.validate()
    except (TypeError, NNPlugError) as exc:
        raise NNPlugError(f"{checkpoint.path} holds an unusable configuration: {exc}") from None
    patience, bad = config.patience, checkpoint.meta["bad_epochs"]
    if patience is not None and bad >= patience and config.epochs > checkpoint.epoch:
        epochs = f"{bad} epoch{'s' * (bad != 1)}"
        raise NNPlugError(
            f"the run in {checkpoint.directory} stopped early after epoch {checkpoint.epoch} "
            f"(no better validation metric for {epochs}, --patience {patience}): nothing to "
            f"resume; to continue it, pass --patience N with N above {bad}"
        )
    if config.epochs <= checkpoint.epoch:
        done, where = checkpoint.epoch, checkpoint.directory
        if "epochs" in given_names:
            raise NNPlugError(
                f"--epochs {config.epochs} is not above the {done} epochs the run in {where} "
                f"already ran: nothing to resume; pass --epochs N with N above {done}"
            )
        raise NNPlugError(
            f"the run in {where} already ran all its {done} epochs: nothing to resume; to "
            f"train it longer: nnplug train --resume {where} --epochs N, with N above {done}"
        )
    return config


__all__ = ["resumed_config"]
