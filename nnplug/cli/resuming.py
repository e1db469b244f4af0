"""``nnplug train --resume DIR``: the checkpoint's configuration, with what the command
line may change (``--epochs``, ``--patience``) and nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from nnplug.errors import NNPlugError
from nnplug.nn.config import TrainConfig


def resumed_config(checkpoint: Any, options: dict[str, Any]) -> TrainConfig:
    """The checkpoint's configuration; options given on the command line must agree with
    it, except ``--epochs`` (train longer) and ``--patience``."""
    ctx = click.get_current_context()
    saved = checkpoint.config
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    given = set()
    for name, value in options.items():
        source = ctx.get_parameter_source(name)
        if name not in fields or source is None or source.name != "COMMANDLINE":
            continue
        given.add(name)
        if name in ("epochs", "patience"):
            saved[name] = value
        elif saved.get(name) != value:
            flag = "--" + name.replace("_", "-")
            raise NNPlugError(
                f"{flag} {value} differs from the checkpoint's "
                f"{saved.get(name)!r}; drop it when resuming"
            )
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
        if "epochs" in given:
            raise NNPlugError(
                f"--epochs {config.epochs} is not above the {done} epochs the run in {where} "
                f"already ran: nothing to resume; pass --epochs N with N above {done}"
            )
        raise NNPlugError(
            f"the run in {where} already ran all its {done} epochs: nothing to resume; to "
            f"train it longer: nnplug train --resume {where} --epochs N, with N above {done}"
        )
    return config
