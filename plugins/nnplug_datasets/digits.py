"""``digits``: scikit-learn's bundled 8x8 handwritten digits (1797 x 64), no download."""

from __future__ import annotations

import numpy as np

from nnplug.base import Data, Dataset
from nnplug.data.fitting import SCALE_OPTION, scale_splits
from nnplug.data.split import stratified_split
from nnplug.options import Option
from nnplug_datasets.labels import parse_classes, select_classes


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 images (uint8 pixels 0..16) and labels scikit-learn ships in
    ``sklearn/datasets/data/digits.csv.gz`` -- read directly: importing scikit-learn (and
    SciPy) for it took ~0.8 s, most of a default ``nnplug train``. Falls back to
    ``sklearn.datasets.load_digits`` if the file is not where it used to be."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            table = np.loadtxt(path, delimiter=",", dtype=np.float64)
            return table[:, :-1].astype(np.uint8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data.astype(np.uint8), bunch.target.astype(np.int64)


class Digits(Dataset):
    """Handwritten digits 0-9, 8x8 pixels in 0..16 (bundled with scikit-learn)."""

    name = "digits"
    task = "classification"
    shape = "1797 x 64, 10 classes"
    cli_options = (
        Option("classes", "Keep only these classes, renumbered in order, e.g. '0,1'."),
        SCALE_OPTION,
    )

    def __init__(
        self,
        test_fraction: float = 0.2,
        classes: str | list[int] | None = None,
        scale: str = "auto",
    ):
        from nnplug.data.fitting import check_kind

        super().__init__()
        self.test_fraction = test_fraction
        self.classes = parse_classes(classes, 10, self.name)
        self.scale = check_kind(scale, self.name)

    def load(self, *, seed=42, val_fraction=0.1, data_dir=None):
        X, y = read_digits()
        names = [str(c) for c in range(10)]
        if self.classes is not None:
            X, y = select_classes(X, y, self.classes)
            names = [names[c] for c in self.classes]
        X_tr, y_tr, X_va, y_va, X_te, y_te = stratified_split(
            X, y, test_fraction=self.test_fraction, val_fraction=val_fraction, seed=seed
        )
        # auto: uint8 pixels are an image, one global scale 1 / max = 1/16
        (X_tr, X_va, X_te), scale, scaling = scale_splits(
            X_tr, X_va, X_te, kind=self.scale, dataset=self.name
        )
        return Data(
            X_tr,
            y_tr,
            X_va,
            y_va,
            X_te,
            y_te,
            task="classification",
            classes=names,
            scale=scale,
            meta={"source": "scikit-learn's digits.csv.gz"},
            scaling=scaling,
        )
