"""Unset options resolve by task and data size (the defaults chosen on validation data,
README "Defaults and their evidence"), and the resolved values are recorded."""
import numpy as np
import pytest

from nnplug.nn.recipes import DEFAULT_LAYERS, SMALL_TABLE_EPOCHS, SMALL_TABLE_ROWS, recipe_of
from nnplug.nn.training import TrainConfig, build


def npz(tmp_path, n, task, images=False):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (n, 64), dtype=np.uint8) if images else rng.normal(size=(n, 4))
    y = (X[:, 0] > 0).astype(int) if task == "classification" else X[:, 0] * 3.0
    np.savez(tmp_path / "d.npz", X=X, y=y)
    return TrainConfig(dataset="npz", dataset_options={"data": str(tmp_path / "d.npz"),
                                                       "task": task})


def test_classification_defaults():
    config = TrainConfig()
    data, model, _, optimizer = build(config)
    assert (config.optimizer, config.lr, config.weight_decay) == ("core/momentum", 0.1, 1e-4)
    assert config.layers == DEFAULT_LAYERS["classification"] and config.hidden == 256
    assert model.layers[0].out_features == 256 and len(data.X_train) < 5000
    assert config.epochs == 30 and config.batch_size == 32 and config.patience is None


def test_regression_defaults(tmp_path):
    config = npz(tmp_path, 300, "regression")
    _, model, _, optimizer = build(config)
    assert (config.optimizer, config.lr, config.weight_decay) == ("core/adamw", 0.005, 0.1)
    assert config.layers == DEFAULT_LAYERS["regression"] and config.hidden == 256
    assert type(optimizer).__name__ == "AdamW" and optimizer.weight_decay == 0.1


def test_larger_image_sets_get_wider_layers(tmp_path):
    config = npz(tmp_path, 7000, "classification", images=True)  # 5040 training rows
    data, model, _, _ = build(config)
    assert len(data.X_train) >= 5000 and config.hidden == 512
    assert model.layers[0].out_features == 512
    assert recipe_of(data) == "classification" and config.optimizer == "core/momentum"
    assert config.layers == DEFAULT_LAYERS["classification"]


@pytest.mark.parametrize("n,recipe,depth", [(1300, "small tabular classification", 1),
                                             (7000, "tabular classification", 3)])
def test_tabular_classification_gets_the_plain_adamw_recipe(tmp_path, n, recipe, depth):
    """Tabular inputs (not image-like): the regression network and AdamW at lr 5e-3, wd 0.1
    (validation accuracy on ocean_proximity 90.2 -> 95.5 %), 256 wide at any size; below
    1000 training rows one hidden layer of it (iris, wine, breast cancer: docs/defaults.md)."""
    config = npz(tmp_path, n, "classification")
    data, model, _, optimizer = build(config)
    assert recipe_of(data) == recipe and (len(data.X_train) < SMALL_TABLE_ROWS) == (depth == 1)
    assert config.layers == DEFAULT_LAYERS[recipe] == ",".join(["core/linear,core/relu"] * depth)
    assert (config.optimizer, config.lr, config.weight_decay) == ("core/adamw", 0.005, 0.1)
    assert config.hidden == 256 and type(optimizer).__name__ == "AdamW"
    assert optimizer.lr == 0.005 and optimizer.weight_decay == 0.1
    assert config.epochs == (SMALL_TABLE_EPOCHS if depth == 1 else 30)


def test_small_table_recipe_starts_at_the_threshold(tmp_path):
    """936 training rows: small; 1008: not (80 % then 90 % of the rows are trained on)."""
    for n, recipe in ((1300, "small tabular classification"), (1400, "tabular classification")):
        config = npz(tmp_path, n, "classification")
        data, *_ = build(config)
        assert recipe_of(data) == recipe, len(data.X_train)
    config = npz(tmp_path, 300, "regression")  # regression keeps its recipe at any size
    build(config)
    assert config.layers == DEFAULT_LAYERS["regression"] and config.epochs == 30
    config = npz(tmp_path, 300, "classification")
    config.epochs = 7  # given: kept
    build(config)
    assert config.epochs == 7 and config.layers == DEFAULT_LAYERS["small tabular classification"]


def test_a_given_optimizer_keeps_its_own_defaults_on_tabular_data(tmp_path):
    config = npz(tmp_path, 300, "classification")
    config.optimizer = "adamw"
    _, _, _, optimizer = build(config)
    assert (optimizer.lr, optimizer.weight_decay) == (0.001, 0.01)  # adamw's for classification
    config = npz(tmp_path, 300, "classification")
    config.lr = 0.02
    _, _, _, optimizer = build(config)
    assert (config.optimizer, optimizer.lr, optimizer.weight_decay) == ("core/adamw", 0.02, 0.1)


@pytest.mark.parametrize("given", [dict(optimizer="adam", lr=0.003, weight_decay=0.0),
                                   dict(hidden=64, layers="linear,tanh"),
                                   dict(optimizer="adamw", weight_decay=None)])
def test_given_options_win(given):
    config = TrainConfig(**given)
    _, model, _, optimizer = build(config)
    for key, value in given.items():
        if value is not None:
            assert getattr(config, key) == value
    if given.get("optimizer") == "adamw":  # adamw's own default for classification
        assert optimizer.weight_decay == 0.01 and optimizer.lr == 0.001
