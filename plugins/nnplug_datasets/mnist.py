"""``mnist`` and ``fashion_mnist``: 28x28 uint8 images from the original IDX files.

Images stay uint8 in memory (``Data.scale = 1/255``: the Solver scales each minibatch).
Train/test is the standard 60k/10k split; validation is a stratified, seeded share of
train. The SHA-256 constants cover the *decompressed* IDX payload -- mirrors serve
gzip files whose headers (timestamps, names) differ, while the payload is the same.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nnplug.base import Data, Dataset
from nnplug.errors import DataError
from nnplug.options import Option
from nnplug_datasets.labels import check_labels, parse_classes, select_classes
from nnplug_datasets.paths import dataset_dir, find_file

log = logging.getLogger("nnplug.datasets")

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class IdxImages(Dataset):
    """Base for MNIST-style datasets: four IDX files, 10 classes, mirrors, checksums."""

    task = "classification"
    shape = "60000+10000 x 28 x 28 (uint8), 10 classes"
    files: ClassVar[tuple[str, ...]] = FILES
    class_names: ClassVar[list[str]] = []
    #: base URLs tried in order; each serves ``<file>.gz``
    mirrors: ClassVar[tuple[str, ...]] = ()
    #: file stem -> SHA-256 of the decompressed IDX payload of the canonical file
    sha256: ClassVar[dict[str, str]] = {}
    cli_options = (Option("classes", "Keep only these classes, renumbered in order, e.g. '0,1'."),)

    def __init__(self, classes: str | list[int] | None = None):
        super().__init__()
        self.classes = parse_classes(classes, len(self.class_names), self.name)

    # -- files -------------------------------------------------------------------------
    def directory(self, data_dir: str | None = None) -> Path:
        return dataset_dir(self.name, data_dir, list(self.files))

    def location(self, data_dir: str | None = None) -> str:
        return str(self.directory(data_dir))

    def missing(self, data_dir: str | None = None) -> list[str]:
        d = self.directory(data_dir)
        return [stem for stem in self.files if find_file(d, stem) is None]

    def is_cached(self, data_dir: str | None = None) -> bool:
        return not self.missing(data_dir)

    def fetch(self, data_dir: str | None = None, progress: Any = None) -> Path:
        """Download the missing files (never re-fetches complete ones); return the folder."""
        from nnplug_datasets.download import download

        d = self.directory(data_dir)
        for stem in self.missing(data_dir):
            try:
                download(
                    f"{stem}.gz", self.mirrors, d, sha256=self.sha256.get(stem), progress=progress
                )
            except DataError as exc:
                still = ", ".join(f"{s}.gz" for s in self.missing(data_dir))
                raise DataError(
                    f"{self.name}: {exc}; missing {still} in {d}: put the files "
                    f"there (gzipped or not) or set NNPLUG_DATA / --data-dir"
                ) from None
        return d

    # -- loading -----------------------------------------------------------------------
    def read(self, data_dir: str | None = None) -> dict[str, np.ndarray]:
        """The four arrays, validated; warns when they are not the canonical files."""
        from nnplug_datasets.idx import read_idx

        d = self.directory(data_dir)
        train = [f for f in self.missing(data_dir) if f.startswith("train-")]
        if len(train) == 2 and not any(f.startswith("t10k-") for f in self.missing(data_dir)):
            # a folder of the user's test files: say what to add; never download into it
            raise DataError(
                f"{self.name}: missing {', '.join(f'{s}.gz' for s in train)} in "
                f"{d}, which holds only the test (t10k) files: put the training "
                f"files there (gzipped or not), or download them with: nnplug "
                f"datasets fetch {self.name} --data-dir {d}"
            )
        d = self.fetch(data_dir)
        arrays, odd = {}, []
        for stem in self.files:
            path = find_file(d, stem)
            assert path is not None  # fetch() guarantees it
            arrays[stem], digest = read_idx(path, ndim=3 if "images" in stem else 1)
            if digest != self.sha256.get(stem):
                odd.append(path.name)
        for split in ("train", "t10k"):
            images, labels = (
                arrays[f"{split}-images-idx3-ubyte"],
                arrays[f"{split}-labels-idx1-ubyte"],
            )
            if len(images) != len(labels):
                raise DataError(
                    f"{self.name}: {split} images and labels disagree in count "
                    f"({len(images)} images, {len(labels)} labels) in {d}"
                )
            if len(images) == 0:
                raise DataError(f"{self.name}: {split} files in {d} hold no images")
            check_labels(labels, len(self.class_names), f"{d / split}-labels")
        shapes = {arrays[f"{s}-images-idx3-ubyte"].shape[1:] for s in ("train", "t10k")}
        if len(shapes) != 1:
            raise DataError(f"{self.name}: train and test images differ in size {sorted(shapes)}")
        if odd:
            log.warning(
                "Warning: %s: %s in %s are not the canonical files (checksums differ); "
                "using them as they are",
                self.name,
                ", ".join(odd),
                d,
            )
        return arrays

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        from nnplug.data.split import stratified_holdout

        a = self.read(data_dir)
        X, y = a["train-images-idx3-ubyte"], a["train-labels-idx1-ubyte"].astype(np.int64)
        X_te, y_te = a["t10k-images-idx3-ubyte"], a["t10k-labels-idx1-ubyte"].astype(np.int64)
        names = list(self.class_names)
        if self.classes is not None:
            X, y = select_classes(X, y, self.classes)
            X_te, y_te = select_classes(X_te, y_te, self.classes)
            names = [names[c] for c in self.classes]
            if len(X) < 2 or len(X_te) == 0:
                raise DataError(f"{self.name}: too few images of classes {self.classes}")
        keep, val = stratified_holdout(y, val_fraction, seed)
        if len(keep) < 2:
            raise DataError(
                f"{self.name}: {len(keep)} training image(s) in "
                f"{self.location(data_dir)} after holding out --val-fraction "
                f"{val_fraction:g} for validation; training needs at least 2"
            )
        return Data(
            X[keep],
            y[keep],
            X[val],
            y[val],
            np.array(X_te),
            y_te,
            task="classification",
            classes=names,
            scale=1.0 / 255.0,
            meta={
                "source": self.name,
                "directory": self.location(data_dir),
                "selected_classes": self.classes,
            },
        )


class MNIST(IdxImages):
    """Handwritten digits 0-9 (LeCun et al.), 60k train + 10k test, 28x28 grey."""

    name = "mnist"
    class_names: ClassVar[list[str]] = [str(i) for i in range(10)]
    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    sha256: ClassVar[dict[str, str]] = {
        "train-images-idx3-ubyte": (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
        ),
        "train-labels-idx1-ubyte": (
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
        ),
        "t10k-images-idx3-ubyte": (
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
        ),
        "t10k-labels-idx1-ubyte": (
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
        ),
    }


class FashionMNIST(IdxImages):
    """Zalando's Fashion-MNIST: 10 clothing classes, 60k train + 10k test, 28x28 grey."""

    name = "fashion_mnist"
    class_names: ClassVar[list[str]] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    )
    sha256: ClassVar[dict[str, str]] = {
        "train-images-idx3-ubyte": (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
        ),
        "train-labels-idx1-ubyte": (
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
        ),
        "t10k-images-idx3-ubyte": (
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
        ),
        "t10k-labels-idx1-ubyte": (
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
        ),
    }
