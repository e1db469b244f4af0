"""``california``: California housing (1990 census) regression, target in units of $100k.

Read from the original archive ``cal_housing.tgz`` -- a gzipped tar holding
``CaliforniaHousing/cal_housing.data``, comma-separated numbers -- which nnplug parses
itself: no pickle is ever read (scikit-learn's cache ``cal_housing_py3.pkz`` is a joblib
pickle; it is ignored, and scikit-learn's fetcher is never called). A missing archive is
downloaded from where scikit-learn gets it and checked against its SHA-256 before it is
kept. The features and the target are scikit-learn's (``fetch_california_housing``). The
tar member's declared size is judged against ``NNPLUG_MAX_BYTES`` before it is read. The
split is seeded; features are scaled (``--scale``, default standardised) with statistics
of the training split only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nnplug.base import Data, Dataset
from nnplug.data.fitting import SCALE_OPTION
from nnplug.errors import DataError
from nnplug_datasets.paths import data_root, dataset_dir

log = logging.getLogger("nnplug.datasets")

ARCHIVE = "cal_housing.tgz"
MEMBER = "CaliforniaHousing/cal_housing.data"
#: scikit-learn's pickled cache of the data: never read (named in messages only)
PKZ = "cal_housing_py3.pkz"
#: SHA-256 of the archive file (scikit-learn's ``RemoteFileMetadata`` for it)
SHA256 = "aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681"
#: the original archive holds three entries; more is not that archive
MAX_MEMBERS = 16
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


def _member(tar: Any, path: Path) -> Any:
    """The data member's ``TarInfo``, looking at no more than :data:`MAX_MEMBERS` entries
    (a tar of millions of empty entries must not fill memory with their headers)."""
    for _ in range(MAX_MEMBERS):
        info = tar.next()
        if info is None:
            break
        if info.name == MEMBER:
            if not info.isfile():
                raise DataError(f"{path}: {MEMBER} is not a regular file in the archive")
            return info
    raise DataError(f"{path}: no {MEMBER} inside")


def read_archive(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from the original archive, with the features scikit-learn derives.

    Columns of ``cal_housing.data``: longitude, latitude, housingMedianAge, totalRooms,
    totalBedrooms, population, households, medianIncome, medianHouseValue.
    """
    import io
    import tarfile
    import zlib

    from nnplug.safeio.limits import check_bytes, open_regular

    try:
        with (
            open_regular(path, "california archive", DataError) as fh,
            tarfile.open(fileobj=fh, mode="r:gz") as tar,
        ):
            info = _member(tar, path)
            check_bytes(info.size, f"{path} ({MEMBER}, {info.size} bytes of text)")
            member = tar.extractfile(info)
            assert member is not None  # a regular file
            text = member.read()
        rows = text.count(b"\n") + 1
        check_bytes(len(text) + rows * 9 * 8, f"{path} ({MEMBER}, {rows} lines)")
        raw = np.loadtxt(io.BytesIO(text), delimiter=",", ndmin=2)
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzipped tar archive ({exc})") from None
    except ValueError as exc:
        raise DataError(f"{path}: bad number in cal_housing.data ({exc})") from None
    if raw.shape[1] != 9 or len(raw) == 0:
        raise DataError(f"{path}: cal_housing.data must have 9 columns, has {raw.shape[1]}")
    if not np.isfinite(raw).all():
        row = int(np.flatnonzero(~np.isfinite(raw).all(axis=1))[0]) + 1
        raise DataError(f"{path}: line {row} of cal_housing.data holds a non-finite number")
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
    #: where ``cal_housing.tgz`` is downloaded from (scikit-learn's source; a URL ending
    #: in ``/`` is a folder the file name is appended to)
    mirrors: ClassVar[tuple[str, ...]] = ("https://ndownloader.figshare.com/files/5976036",)

    cli_options = (SCALE_OPTION,)

    def __init__(self, test_fraction: float = 0.2, scale: str = "auto"):
        from nnplug.data.fitting import check_kind

        super().__init__()
        if not 0 < test_fraction < 1:
            raise DataError("california: test_fraction must be in (0, 1)")
        self.test_fraction = float(test_fraction)
        self.scale = check_kind(scale, self.name)

    def directory(self, data_dir: str | None = None) -> Path:
        return dataset_dir(self.name, data_dir, [ARCHIVE])

    def location(self, data_dir: str | None = None) -> str:
        return str(self.directory(data_dir))

    def is_cached(self, data_dir: str | None = None) -> bool:
        return (self.directory(data_dir) / ARCHIVE).is_file()

    def fetch(self, data_dir: str | None = None, progress: Any = None) -> Path:
        """Download ``cal_housing.tgz`` (checked against its SHA-256) unless it is there."""
        from nnplug_datasets.download import download, file_sha256

        d = self.directory(data_dir)
        if self.is_cached(data_dir):
            return d
        try:
            download(ARCHIVE, self.mirrors, d, sha256=SHA256, verify=file_sha256, progress=progress)
        except DataError as exc:
            pickled = [p for p in (d / PKZ, data_root(data_dir) / PKZ) if p.is_file()]
            note = (
                f" ({pickled[0].name}, scikit-learn's pickled cache, is never read)"
                if pickled
                else ""
            )
            raise DataError(
                f"{self.name}: {exc}; missing {ARCHIVE} in {d}{note}: put the original "
                f"archive there or set NNPLUG_DATA / --data-dir"
            ) from None
        return d

    def read(self, data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` of the archive, downloaded first when missing; a warning when it is
        not the canonical archive."""
        from nnplug_datasets.download import file_sha256

        path = self.fetch(data_dir) / ARCHIVE
        X, y = read_archive(path)
        if file_sha256(path) != SHA256:
            log.warning(
                "Warning: %s: %s is not the canonical archive (its checksum differs); "
                "using it as it is",
                self.name,
                path,
            )
        return X, y

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        from nnplug.data.fitting import scale_splits
        from nnplug.data.split import stratified_split

        X, y = self.read(data_dir)
        X_tr, y_tr, X_va, y_va, X_te, y_te = stratified_split(
            X,
            y.astype(np.float32),
            test_fraction=self.test_fraction,
            val_fraction=val_fraction,
            seed=seed,
            stratify=False,
        )
        (X_tr, X_va, X_te), scale, scaling = scale_splits(
            X_tr, X_va, X_te, kind=self.scale, dataset=self.name, columns=FEATURES
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
                "directory": self.location(data_dir),
                "target": "MedHouseVal",
                "target_unit": "$100k",
            },
            scaling=scaling,
        )
