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


PLAIN3 = PLAIN2 + ",linear,relu"


def reg2(row: str) -> dict:
    """Regression: depth, width and a higher learning rate, combined."""
    base = {**ADAMW, "layers": PLAIN3, "lr": 5e-3}
    return {
        "plain-3x256-lr5e-3": base,
        "plain-3x256-lr1e-2": {**base, "lr": 1e-2},
        "plain-2x512-lr5e-3": {**base, "layers": PLAIN2, "hidden": 512},
        "plain-3x256-lr5e-3-warm0.05": {**base, "warmup": 0.05},
        "plain-3x256-lr5e-3-wd0.1": {**base, "weight_decay": 0.1},
        "plain-3x256-lr5e-3-drop0.1": {**base, "layers": "linear,relu,dropout:p=0.1,"
                                                         "linear,relu,dropout:p=0.1,"
                                                         "linear,relu"},
        "plain-3x256-lr5e-3-e50": {**base, "epochs": 50},
        "plain-3x256-lr5e-3-quantile": {**base, "dataset_options": {"scale": "quantile"}},
        "plain-3x256-lr5e-3-b64": {**base, "batch_size": 64},
    }


GRIDS["reg2"] = reg2


def reg3(row: str) -> dict:
    """Regression: weight decay around 0.1, combined with width, lr and epochs."""
    base = {**ADAMW, "layers": PLAIN3, "lr": 5e-3, "weight_decay": 0.1}
    return {
        "plain-3x256-lr5e-3-wd0.1": base,
        "plain-3x256-lr5e-3-wd0.3": {**base, "weight_decay": 0.3},
        "plain-3x256-lr1e-2-wd0.1": {**base, "lr": 1e-2},
        "plain-2x512-lr5e-3-wd0.1": {**base, "layers": PLAIN2, "hidden": 512},
        "plain-3x256-lr5e-3-wd0.1-e50": {**base, "epochs": 50},
        "plain-3x256-lr5e-3-wd0.1-quantile": {**base, "dataset_options": {"scale": "quantile"}},
        "bn-drop-1x256-old-arch-wd0.1": {**base, "layers": OLD["layers"]},
    }


GRIDS["reg3"] = reg3


REG = {**ADAMW, "layers": PLAIN3, "lr": 5e-3, "weight_decay": 0.1}
CLS = {**ADAMW, "lr": 1e-3, "weight_decay": 0.01}
BN2 = "linear,batchnorm,relu,dropout:p=0.2,linear,batchnorm,relu,dropout:p=0.2"


def candidates(row: str) -> dict:
    """The candidate defaults, per task, against the old ones."""
    if row in ("california", "housing"):
        return {"old-defaults": OLD, "reg": REG,
                "reg-quantile": {**REG, "dataset_options": {"scale": "quantile"}}}
    return {
        "old-defaults": OLD,
        "cls-adamw-1e-3": CLS,
        "cls-adamw-2e-3": {**CLS, "lr": 2e-3},
        "cls-adamw-1e-3-2x256": {**CLS, "layers": BN2},
        "cls-adamw-2e-3-2x256": {**CLS, "layers": BN2, "lr": 2e-3},
        "cls-momentum-cosine": {**OLD, "schedule": "cosine", "lr_decay": None},
    }


GRIDS["candidates"] = candidates


MOM = {**OLD, "schedule": "cosine", "lr_decay": None, "lr": 0.05}


def cls2(row: str) -> dict:
    """Classification: momentum + cosine, width, dropout, depth, epochs."""
    return {
        "mom-cos-1x256": MOM,
        "mom-cos-1x512-drop0.3": {**MOM, "hidden": 512,
                                  "layers": "linear,batchnorm,relu,dropout:p=0.3"},
        "mom-cos-1x1024-drop0.5": {**MOM, "hidden": 1024,
                                   "layers": "linear,batchnorm,relu,dropout:p=0.5"},
        "mom-cos-2x512-drop0.3": {**MOM, "hidden": 512,
                                  "layers": BN2.replace("0.2", "0.3")},
        "mom-cos-1x256-lr0.1": {**MOM, "lr": 0.1},
        "mom-cos-1x256-e50": {**MOM, "epochs": 50},
        "mom-cos-1x256-wd5e-4": {**MOM, "weight_decay": 5e-4},
        "adamw-1x512-drop0.3-wd0.05": {**CLS, "hidden": 512, "weight_decay": 0.05,
                                       "layers": "linear,batchnorm,relu,dropout:p=0.3"},
    }


GRIDS["cls2"] = cls2


def deep(units: int, p: float, n: int = 2) -> dict:
    return {"hidden": units,
            "layers": ",".join([f"linear,batchnorm,relu,dropout:p={p}"] * n)}


def cls3(row: str) -> dict:
    """Classification: depth/width/dropout around 2 x 512, momentum vs adamw."""
    return {
        "mom-cos-2x256-drop0.2": {**MOM, **deep(256, 0.2)},
        "mom-cos-2x256-drop0.3": {**MOM, **deep(256, 0.3)},
        "mom-cos-2x512-drop0.3-lr0.1": {**MOM, **deep(512, 0.3), "lr": 0.1},
        "mom-cos-2x512-drop0.5": {**MOM, **deep(512, 0.5)},
        "mom-cos-3x512-drop0.3": {**MOM, **deep(512, 0.3, 3)},
        "adamw-cos-2x512-drop0.3-lr2e-3": {**CLS, **deep(512, 0.3), "lr": 2e-3},
    }


def reg4(row: str) -> dict:
    """Regression: momentum SGD on the chosen regression network."""
    base = {**MOM, "layers": PLAIN3, "lr": 0.01, "weight_decay": 1e-4}
    return {
        "mom-cos-plain3-lr0.01": base,
        "mom-cos-plain3-lr0.02": {**base, "lr": 0.02},
        "mom-cos-plain3-lr0.01-wd1e-3": {**base, "weight_decay": 1e-3},
    }


GRIDS.update(cls3=cls3, reg4=reg4)


def clsfinal(row: str) -> dict:
    """The classification candidates on every classification row."""
    return {
        "mom-cos-1x256-drop0.2": MOM,
        "mom-cos-2x256-drop0.3": {**MOM, **deep(256, 0.3)},
        "mom-cos-2x256-drop0.3-lr0.1": {**MOM, **deep(256, 0.3), "lr": 0.1},
        "mom-cos-2x512-drop0.3-lr0.1": {**MOM, **deep(512, 0.3), "lr": 0.1},
    }


GRIDS["clsfinal"] = clsfinal


GRIDS["defaults"] = lambda row: {"defaults": {}}  # whatever nnplug train does unasked


def tabcls(row: str) -> dict:
    """Tabular classification (ocean): the image-tuned stack vs the tabular regression
    recipe (plain MLP, AdamW) with a classification loss, and the same with more epochs."""
    plain_bn = "linear,batchnorm,relu,linear,batchnorm,relu"
    return {
        "defaults": {},
        "reg-recipe": REG,
        "reg-recipe-quantile": {**REG, "dataset_options": {"scale": "quantile"}},
        "mom-cos-2x512-bn-nodrop-lr0.1": {**MOM, "hidden": 512, "layers": plain_bn, "lr": 0.1},
        "defaults-e60": {"epochs": 60},
    }


GRIDS["tabcls"] = tabcls
