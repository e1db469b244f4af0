"""``california``: California housing (1990 census) regression, target in units of $100k.

Loaded through scikit-learn's ``fetch_california_housing(data_home=...)`` (it downloads,
checks and caches ``cal_housing_py3.pkz``). The original archive ``cal_housing.tgz``
placed in the folder is read directly (tarfile + text parsing, no pickle). The split is
seeded; features are scaled (``--scale``, default standardised) with statistics of the
training split only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nnplug.base import Data, Dataset
from nnplug.data.fitting import SCALE_OPTION
from nnplug.errors import DataError
from nnplug_datasets.paths import dataset_dir

PKZ = "cal_housing_py3.pkz"
ARCHIVE = "cal_housing.tgz"
FEATURES = [
    "MedInc",
    "HouseAge",
    "AveRooms",
    "AveBedrms",
    "Population",
    "AveOccup",
    "Latitude",
    "Longitude",
]


def sklearn_fetch(data_home: Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """The seam to scikit-learn (tests replace it): ``(X, y)`` from its cache or the web."""
    from sklearn.datasets import fetch_california_housing

    bunch = fetch_california_housing(data_home=str(data_home), download_if_missing=download)
    return np.asarray(bunch.data, np.float64), np.asarray(bunch.target, np.float64)


def read_archive(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from the original archive, with the features scikit-learn derives.

    Columns of ``cal_housing.data``: longitude, latitude, housingMedianAge, totalRooms,
    totalBedrooms, population, households, medianIncome, medianHouseValue.
    """
    import tarfile

    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("CaliforniaHousing/cal_housing.data")
            if member is None:
                raise KeyError("CaliforniaHousing/cal_housing.data")
            raw = np.loadtxt(member, delimiter=",", ndmin=2)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise DataError(f"{path}: not a readable gzipped tar archive ({exc})") from None
    except KeyError:
        raise DataError(f"{path}: no CaliforniaHousing/cal_housing.data inside") from None
    except ValueError as exc:
        raise DataError(f"{path}: bad number in cal_housing.data ({exc})") from None
    if raw.shape[1] != 9 or len(raw) == 0:
        raise DataError(f"{path}: cal_housing.data must have 9 columns, has {raw.shape[1]}")
    lon, lat, age, rooms, bedrooms, population, households, income, value = raw.T
    if np.any(households <= 0):
        raise DataError(f"{path}: a district has households <= 0")
    X = np.column_stack(
        [
            income,
            age,
            rooms / households,
            bedrooms / households,
            population,
            population / households,
            lat,
            lon,
        ]
    )
    return X, value / 100_000.0


class California(Dataset):
    """California housing: median house value ($100k) of 20640 districts from 8 features."""

    name = "california"
    task = "regression"
    shape = "20640 x 8 -> house value ($100k)"

    cli_options = (SCALE_OPTION,)

    def __init__(self, test_fraction: float = 0.2, scale: str = "auto"):
        from nnplug.data.fitting import check_kind

        super().__init__()
        if not 0 < test_fraction < 1:
            raise DataError("california: test_fraction must be in (0, 1)")
        self.test_fraction = float(test_fraction)
        self.scale = check_kind(scale, self.name)

    def directory(self, data_dir: str | None = None) -> Path:
        return dataset_dir(self.name, data_dir, [PKZ, ARCHIVE])

    def location(self, data_dir: str | None = None) -> str:
        return str(self.directory(data_dir))

    def is_cached(self, data_dir: str | None = None) -> bool:
        d = self.directory(data_dir)
        return (d / PKZ).is_file() or (d / ARCHIVE).is_file()

    def fetch(self, data_dir: str | None = None, progress: Any = None) -> Path:
        """Let scikit-learn download and cache the data (no progress: it reports none)."""
        d = self.directory(data_dir)
        if not self.is_cached(data_dir):
            self._read(d, download=True)
        return d

    def _read(self, d: Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
        if not (d / PKZ).is_file() and (d / ARCHIVE).is_file():
            return read_archive(d / ARCHIVE)
        try:
            d.mkdir(parents=True, exist_ok=True)
            return sklearn_fetch(d, download)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - network, disk or a corrupt cache
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            if (d / PKZ).is_file():
                raise DataError(
                    f"california: cannot read scikit-learn's cache {d / PKZ} "
                    f"({reason}); delete it to download again"
                ) from None
            raise DataError(
                f"california: download via scikit-learn failed ({reason}); "
                f"missing {PKZ} (scikit-learn's cache) or {ARCHIVE} (the "
                f"original archive) in {d}: put one there or set NNPLUG_DATA "
                f"/ --data-dir"
            ) from None

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        from nnplug.data.fitting import scale_splits
        from nnplug.data.split import stratified_split

        d = self.directory(data_dir)
        X, y = self._read(d, download=True)
        X_tr, y_tr, X_va, y_va, X_te, y_te = stratified_split(
            X,
            y.astype(np.float32),
            test_fraction=self.test_fraction,
            val_fraction=val_fraction,
            seed=seed,
            stratify=False,
        )
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
            task="regression",
            feature_names=list(FEATURES),
            scale=scale,
            meta={
                "source": self.name,
                "directory": str(d),
                "target": "MedHouseVal",
                "target_unit": "$100k",
            },
            scaling=scaling,
        )
