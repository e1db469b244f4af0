"""The options of a training run: one table, :class:`TrainConfig`.

Each field carries, beside its type and default, a :class:`Setting`: its ``--help`` text,
what an unset option resolves to when the run starts (:func:`nnplug.nn.recipes.resolve`),
the rule its values obey, and where it is offered. Everything else is derived from this
table: ``nnplug train``'s and ``nnplug sweep``'s options with their ``--help`` defaults
(:mod:`nnplug.cli.train`), the scikit-learn estimators' parameters
(:mod:`nnplug.sklearn.base`), :meth:`TrainConfig.validate` and the record a run keeps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import Field, dataclass, field, fields
from typing import Any

from nnplug.errors import NNPlugError
from nnplug.nn.memory import check_depth
from nnplug.nn.recipes import (
    DEFAULT_DATASET,
    DEFAULT_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_L2,
    DEFAULT_LAYERS,
    DEFAULT_LOSSES,
    DEFAULT_LR_DECAY,
    DEFAULT_OPTIMIZER,
    DEFAULT_SCHEDULE,
    RECIPE_LR_WD,
    SMALL_TABLE_EPOCHS,
    SMALL_TABLE_ROWS,
    WIDE_FROM_ROWS,
    WIDE_HIDDEN,
    bare,
)
from nnplug.nn.schedules import SCHEDULES
from nnplug.registry.registry import get_registry
from nnplug.runtime.backends import AUTO, AUTO_MIN_STEPS
from nnplug.safeio.limits import check_bytes, network_bytes
from nnplug.safeio.text import one_line
from nnplug.spec import parse_spec


@dataclass(frozen=True)
class Setting:
    """How one field of :class:`TrainConfig` is offered and checked.

    ``help``: what it means (``--help``, the estimators' docs). ``resolves``: for a field
    whose default is None, what it resolves to when the run starts (shown as ``[default:
    ...]``). ``valid``/``rule``: the values allowed (a value failing ``valid`` is the error
    ``--NAME <rule>``). ``cli``/``estimator``: offered by ``nnplug train`` / as a
    scikit-learn parameter. ``directory``: the value is a directory path."""

    help: str
    resolves: str = ""
    valid: Callable[[Any], bool] | None = None
    rule: str = ""
    choices: tuple[str, ...] = ()
    cli: bool = True
    estimator: bool = True
    directory: bool = False


def option(default: Any = None, help: str = "", **setting: Any) -> Any:
    """A :class:`TrainConfig` field: ``default`` and its :class:`Setting`."""
    return field(default=default, metadata={"setting": Setting(help, **setting)})


def _at_least(n: float) -> Callable[[Any], bool]:
    return lambda v: v is None or v >= n


_LAYERS = (
    f"classification of images '{bare(DEFAULT_LAYERS['classification'])}'; regression and "
    f"classification of tabular inputs '{bare(DEFAULT_LAYERS['regression'])}', with fewer "
    f"than {SMALL_TABLE_ROWS} training rows "
    f"'{bare(DEFAULT_LAYERS['small tabular classification'])}'"
)
_OPTIMIZER = (
    f"{bare(DEFAULT_OPTIMIZER['classification'])} for classification of images; "
    f"{bare(DEFAULT_OPTIMIZER['regression'])} for regression and for classification of "
    "tabular inputs"
    + "".join(  # the tabular recipes share theirs
        f" (there lr {lr:g}, weight decay {wd:g})" for lr, wd in sorted(set(RECIPE_LR_WD.values()))
    )
)


@dataclass
class TrainConfig:
    """Every option of a training run (``nnplug train``, :func:`nnplug.nn.training.train`,
    the estimators). A field left None is resolved when the run starts, by task, input kind
    and data size (:func:`nnplug.nn.recipes.resolve`), and then recorded here."""

    dataset: str = option(
        DEFAULT_DATASET,
        "Dataset plugin name (see `nnplug datasets`); its own options follow.",
        estimator=False,
    )
    layers: str | None = option(
        help="Hidden stack, e.g. 'linear:512,batchnorm,relu,dropout:p=0.2'. The output "
        "linear and the loss are appended.",
        resolves=_LAYERS,
    )
    hidden: int | None = option(
        help="Width of each 'linear' written without a width.",
        resolves=f"{WIDE_HIDDEN} for classification of images with >= {WIDE_FROM_ROWS} "
        f"training rows, else {DEFAULT_HIDDEN}",
        valid=_at_least(1),
        rule="must be >= 1",
    )
    loss: str | None = option(
        help="Loss name.",
        resolves=" for classification, ".join(bare(v) for v in DEFAULT_LOSSES.values())
        + " for regression",
    )
    optimizer: str | None = option(
        help="sgd, momentum, nesterov, adam, adamw or a plugin's optimizer.",
        resolves=_OPTIMIZER,
    )
    lr: float | None = option(
        help="Peak learning rate.",
        resolves="the optimizer's default for the task (its default_lr, listed by "
        "`nnplug plugins`)",
        valid=lambda v: v is None or v > 0,
        rule="must be > 0",
    )
    momentum: float = option(
        0.9,
        "Momentum coefficient (momentum/nesterov).",
        valid=lambda v: 0 <= v < 1,
        rule="must be in [0, 1)",
    )
    weight_decay: float | None = option(
        help="Weight decay on weights (not biases or BatchNorm parameters): decoupled for "
        "adamw, else an L2 term.",
        resolves=f"the optimizer's default for the task (adamw's), else {DEFAULT_L2:g}",
        valid=_at_least(0),
        rule="must be >= 0",
    )
    schedule: str | None = option(
        help="Learning-rate schedule (per step).",
        resolves=f"{DEFAULT_SCHEDULE}; exp when --lr-decay is given",
        choices=tuple(SCHEDULES),
    )
    warmup: float | None = option(
        help="Share of all steps spent warming the learning rate up linearly.",
        resolves="0; onecycle 0.3",
        valid=lambda v: v is None or 0 <= v < 1,
        rule="must be in [0, 1)",
    )
    lr_decay: float | None = option(
        help="The exp schedule: multiply the learning rate by this after every epoch.",
        resolves=f"{DEFAULT_LR_DECAY:g}",
        valid=lambda v: v is None or 0 < v <= 1,
        rule="must be in (0, 1]",
    )
    scale_target: bool = option(
        True,
        "Regression: train on standardised targets (training split's mean/std); metrics "
        "and predictions stay in the target's units.",
    )
    epochs: int | None = option(
        help="Training epochs.",
        resolves=f"{DEFAULT_EPOCHS}; {SMALL_TABLE_EPOCHS} for classification of tabular "
        f"inputs with fewer than {SMALL_TABLE_ROWS} training rows",
        valid=_at_least(1),
        rule="must be >= 1",
    )
    batch_size: int = option(32, "Rows per training step.", valid=_at_least(2), rule="must be >= 2")
    seed: int = option(
        42,
        "Seeds the split, the init, the shuffling and dropout.",
        valid=lambda v: 0 <= v < 2**32,
        rule="must be in 0..4294967295",
        estimator=False,  # the estimators' random_state
    )
    backend: str = option(
        AUTO,
        f"Compute backend: numpy, numba (compiled training steps), or {AUTO}: numba for runs "
        f"of {AUTO_MIN_STEPS} training steps or more (where it repays its start-up), numpy "
        "otherwise or where numba cannot be imported.",
    )
    require_compiled: bool = option(
        False,
        "Stop with an error where training would not run compiled (a component without "
        "kernels, kernels that do not compile, a backend that does not compile); with "
        f"{AUTO}, picks the compiling backend. For CI.",
    )
    dtype: str = option("float32", "Compute dtype.", choices=("float32", "float64"))
    patience: int | None = option(
        help="Stop after this many epochs without a better validation metric.",
        valid=_at_least(1),
        rule="must be >= 1",
    )
    val_fraction: float = option(
        0.1,
        "Share of the training split held out for validation.",
        valid=lambda v: 0 <= v <= 0.9,
        rule="must be in [0, 0.9] (at least a tenth of the training split is trained on)",
    )
    data_dir: str | None = option(
        help="Where dataset files are (or are downloaded to).", estimator=False, directory=True
    )
    threads: int | None = option(
        help="BLAS threads.",
        resolves="$NNPLUG_THREADS, else 1 when the largest matrix product is small, all cores "
        "otherwise",
        valid=_at_least(1),
        rule="must be >= 1",
    )
    #: the chosen dataset's own options (its ``cli_options``), passed to its constructor
    dataset_options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """One-line errors for option values -- their types too, as a checkpoint's
        configuration is read from a file -- before anything is loaded or allocated."""
        kinds: dict[str, tuple[type | tuple[type, ...], str]] = {
            "int": (int, "an integer"),
            "float": ((int, float), "a finite number"),
            "str": (str, "a word"),
            "dict": (dict, "a record"),
            "bool": (bool, "true or false"),
        }
        for f in fields(self):  # the annotation says the type: "int", "float | None", ...
            value, words = getattr(self, f.name), str(f.type).replace(" ", "").split("|")
            kind = kinds.get(words[0].split("[")[0])
            if kind is None or (value is None and "None" in words):
                continue
            if (
                not isinstance(value, kind[0])
                or (isinstance(value, bool) and kind[0] is not bool)
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                raise NNPlugError(f"{flag(f)} must be {kind[1]}, got {one_line(repr(value), 40)}")
            s = setting(f)
            if s is None:
                continue
            if s.choices and value is not None and value not in s.choices:
                raise NNPlugError(f"{flag(f)} must be one of {', '.join(s.choices)}")
            if s.valid is not None and not s.valid(value):
                raise NNPlugError(f"{flag(f)} {s.rule}")
        if self.lr_decay is not None and self.schedule not in (None, "exp"):
            raise NNPlugError(
                "--lr-decay sets the exp schedule's decay; it does not apply to "
                f"--schedule {self.schedule}"
            )
        check_depth(self.layers)
        self._check_network_size()

    def _check_network_size(self) -> None:
        """The widths of the spec (``linear:N`` or ``--hidden``) against NNPLUG_MAX_BYTES."""
        hidden = self.hidden or WIDE_HIDDEN  # unset: at most the wider default
        widths = [hidden]
        try:  # a bad spec is build()'s to report
            registry = get_registry()
            widths = [
                int(item.positional or item.options.get("units") or hidden)
                for item in parse_spec(self.layers or DEFAULT_LAYERS["classification"])
                if getattr(registry.get("layer", item.name).cls, "positional", None) == "units"
            ] or widths
        except (NNPlugError, TypeError, ValueError):
            pass
        itemsize = 8 if self.dtype == "float64" else 4
        check_bytes(
            network_bytes(1, widths, itemsize, self.batch_size),
            f"a network with layers {', '.join(map(str, widths))} units wide (--layers, --hidden)",
        )


def setting(f: Field[Any]) -> Setting | None:
    """The :class:`Setting` of a :class:`TrainConfig` field (None for dataset_options)."""
    return f.metadata.get("setting")


def flag(f: Field[Any] | str) -> str:
    """``--batch-size`` for the field ``batch_size``."""
    return "--" + (f if isinstance(f, str) else f.name).replace("_", "-")


def value_type(f: Field[Any]) -> type:
    """The Python type of a field's values: ``int`` for ``int | None``."""
    name = str(f.type).replace(" ", "").split("|")[0]
    return {"int": int, "float": float, "str": str, "bool": bool}.get(name, str)


def settings(*, cli: bool | None = None, estimator: bool | None = None) -> Iterator[Field[Any]]:
    """The fields of :class:`TrainConfig` with a :class:`Setting`, in table order; only
    those offered on the command line (``cli=True``) or to the estimators."""
    for f in fields(TrainConfig):
        s = setting(f)
        if s is None:
            continue
        if cli is not None and s.cli != cli:
            continue
        if estimator is not None and s.estimator != estimator:
            continue
        yield f


__all__ = ["Setting", "TrainConfig", "flag", "option", "setting", "settings", "value_type"]
