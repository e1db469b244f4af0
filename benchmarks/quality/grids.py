"""Configuration grids for sweep.py: ``GRIDS[name](row) -> {config name: TrainConfig
overrides}``. Explicit values everywhere, so a grid keeps meaning the same thing when the
defaults change."""
from __future__ import annotations

OLD = {"optimizer": "momentum", "lr": None, "weight_decay": 1e-4, "schedule": "exp",
       "lr_decay": 0.95, "epochs": 30, "batch_size": 32, "hidden": 256,
       "layers": "linear,batchnorm,relu,dropout:p=0.2"}


def optim(row: str) -> dict:
    adamw = {**OLD, "optimizer": "adamw", "lr": 1e-3, "lr_decay": None}
    return {
        "old-defaults": OLD,
        "momentum-cosine": {**OLD, "schedule": "cosine", "lr_decay": None},
        "adam-exp": {**OLD, "optimizer": "adam", "lr": 1e-3},
        "adam-cosine": {**adamw, "optimizer": "adam", "schedule": "cosine"},
        "adamw-cosine-wd1e-4": {**adamw, "schedule": "cosine"},
        "adamw-cosine-wd0.01": {**adamw, "schedule": "cosine", "weight_decay": 0.01},
        "adamw-cosine-wd0.05": {**adamw, "schedule": "cosine", "weight_decay": 0.05},
        "adamw-cosine-warm0.05": {**adamw, "schedule": "cosine", "weight_decay": 0.01,
                                  "warmup": 0.05},
        "adamw-onecycle": {**adamw, "schedule": "onecycle", "weight_decay": 0.01},
        "adamw-cosine-lr2e-3": {**adamw, "schedule": "cosine", "weight_decay": 0.01,
                                "lr": 2e-3},
        "adamw-cosine-lr5e-4": {**adamw, "schedule": "cosine", "weight_decay": 0.01,
                                "lr": 5e-4},
    }


GRIDS = {"optim": optim}


ADAMW = {**OLD, "optimizer": "adamw", "lr": 2e-3, "weight_decay": 0.01, "schedule": "cosine",
         "lr_decay": None}
PLAIN2 = "linear,relu,linear,relu"


def arch(row: str) -> dict:
    """Architecture and batch/epoch variations around AdamW + cosine."""
    return {
        "bn-drop-1x256": ADAMW,
        "plain-2x256": {**ADAMW, "layers": PLAIN2},
        "plain-3x256": {**ADAMW, "layers": PLAIN2 + ",linear,relu"},
        "bn-2x256": {**ADAMW, "layers": "linear,batchnorm,relu,linear,batchnorm,relu"},
        "bn-drop-2x256": {**ADAMW, "layers": "linear,batchnorm,relu,dropout:p=0.2,"
                                             "linear,batchnorm,relu,dropout:p=0.2"},
        "plain-2x256-drop0.1": {**ADAMW, "layers": "linear,relu,dropout:p=0.1,linear,relu,"
                                                   "dropout:p=0.1"},
        "plain-2x256-lr5e-3": {**ADAMW, "layers": PLAIN2, "lr": 5e-3},
        "plain-2x256-b128": {**ADAMW, "layers": PLAIN2, "batch_size": 128},
        "plain-2x256-b128-lr5e-3": {**ADAMW, "layers": PLAIN2, "batch_size": 128, "lr": 5e-3},
        "plain-2x256-e60": {**ADAMW, "layers": PLAIN2, "epochs": 60},
        "plain-2x256-quantile": {**ADAMW, "layers": PLAIN2,
                                 "dataset_options": {"scale": "quantile"}},
    }


GRIDS["arch"] = arch
