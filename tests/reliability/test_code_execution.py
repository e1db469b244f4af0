"""Issue 19, "code execution": no file makes nnplug run code or read what the user did
not name. A planted pickle (scikit-learn's ``cal_housing_py3.pkz``) that would create a
marker file is never loaded, whether the user's ``--data-dir`` or a foreign checkpoint
points at it; a checkpoint never chooses a path, so its recorded ``data`` cannot make an
error echo ``/etc/shadow``."""
from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest

from hostile import model_parts, write_model

FAST = ["--epochs", "1", "--hidden", "8", "--quiet", "--log-file", ""]
PKZ = "cal_housing_py3.pkz"


class Plant:
    """Unpickling this creates ``path`` (``open(path, "w")``): proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def plant_pickle(folder, marker):
    """The pickled cache scikit-learn's fetch_california_housing would ``joblib.load``."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(Plant(marker), folder / PKZ, compress=6)
    assert not marker.exists()
    return folder / PKZ


def write_archive(path, n=120, seed=0):
    """A small ``cal_housing.tgz`` in the original layout (9 numeric columns)."""
    rng = np.random.default_rng(seed)
    households = rng.integers(50, 500, n).astype(float)
    rows = np.column_stack([rng.uniform(-124, -114, n), rng.uniform(32, 42, n),
                            rng.integers(1, 52, n), households * 5, households,
                            households * 3, households, rng.uniform(0.5, 15, n),
                            rng.uniform(15000, 500000, n)])
    text = "\n".join(",".join(repr(float(v)) for v in r) for r in rows).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    return path


def test_the_plant_works(tmp_path):
    """The harness: loading the planted file as scikit-learn would runs the code."""
    import joblib

    plant_pickle(tmp_path / "d", tmp_path / "marker")
    joblib.load(tmp_path / "d" / PKZ)
    assert (tmp_path / "marker").exists()


def test_a_planted_pickle_beside_the_archive_is_never_loaded(run, tmp_path):
    """The real command: the loader fell back to scikit-learn's fetcher, which
    joblib.load-ed the pkz (the marker appeared)."""
    plant_pickle(tmp_path / "d", tmp_path / "marker")
    write_archive(tmp_path / "d" / "cal_housing.tgz")
    done = run("train", "--dataset", "california", "--data-dir", tmp_path / "d", *FAST,
               cwd=tmp_path)
    assert not (tmp_path / "marker").exists()
    assert done.code == 0, done.stderr
    assert done.stdout.startswith("california: test_rmse"), done.stdout


def test_a_planted_pickle_alone_is_never_loaded(cli, tmp_path, monkeypatch):
    """Only the pkz: nnplug asks for the archive (from a dead mirror here) and says the
    pickle is not read; nothing ran."""
    from httpserver import dead_url
    from nnplug_datasets.california import California

    monkeypatch.setattr(California, "mirrors", (dead_url(),))
    plant_pickle(tmp_path / "d", tmp_path / "marker")
    res = cli("train", "--dataset", "california", "--data-dir", tmp_path / "d", *FAST)
    assert not (tmp_path / "marker").exists()
    assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.output
    assert "cal_housing_py3.pkz, scikit-learn's pickled cache, is never read" in res.stderr
    assert "UserWarning" not in res.output


def test_offline_download_is_one_line(run, tmp_path):
    """Offline, scikit-learn's fetcher printed its UserWarning lines (retries) before the
    error. The real command, its downloads sent through a proxy that refuses connections
    (127.0.0.1): one line, nothing else."""
    from httpserver import dead_url

    dead = dead_url().rstrip("/")
    env = {"http_proxy": dead, "https_proxy": dead, "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
           "no_proxy": "", "NO_PROXY": ""}
    done = run("train", "--dataset", "california", "--data-dir", tmp_path / "empty", *FAST,
               cwd=tmp_path, env=env, timeout=120)
    line = done.one_error()
    assert "cannot download cal_housing.tgz" in line and "missing cal_housing.tgz" in line
    assert "Warning" not in done.stderr


@pytest.fixture
def california_checkpoint(cli, tmp_path):
    """A checkpoint of a california run on the user's own folder ``mine``."""
    write_archive(tmp_path / "mine" / "cal_housing.tgz")
    res = cli("train", "--dataset", "california", "--data-dir", tmp_path / "mine", *FAST,
              "--checkpoint-dir", tmp_path / "ck")
    assert res.exit_code == 0, res.output
    return tmp_path / "ck"


def test_a_checkpoint_cannot_point_at_a_planted_folder(cli, tmp_path, california_checkpoint):
    """A foreign last.npz whose recorded data_dir is a folder holding the pickle (and an
    archive): resuming ran the pickle."""
    planted = tmp_path / "planted"
    plant_pickle(planted, tmp_path / "marker")
    write_archive(planted / "cal_housing.tgz", seed=1)
    meta, arrays = model_parts(california_checkpoint / "last.npz")
    meta["config"]["data_dir"] = str(planted)
    write_model(california_checkpoint / "last.npz", meta, arrays)
    res = cli("train", "--resume", california_checkpoint, "--epochs", "2", "--quiet",
              "--log-file", "")
    assert not (tmp_path / "marker").exists()
    assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.output
    assert "was trained with --data-dir; pass that folder (or another) with --data-dir" in \
        res.stderr and "planted" not in res.stderr
    res = cli("train", "--resume", california_checkpoint, "--epochs", "2", "--quiet",
              "--log-file", "", "--data-dir", tmp_path / "mine")
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "marker").exists()
    meta, _ = model_parts(california_checkpoint / "last.npz")
    assert meta["config"]["data_dir"] == str(tmp_path / "mine")  # the command line's


def test_a_checkpoint_cannot_choose_the_data_file(cli, tmp_path):
    """A foreign last.npz recording dataset csv with data=/etc/shadow: the error line
    printed the file's first line. Now the checkpoint asks for --data."""
    rng = np.random.default_rng(0)
    rows = "".join(f"{a:.4f},{b:.4f},{i % 2}\n" for i, (a, b) in
                   enumerate(rng.normal(size=(80, 2))))
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows)
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$SECRETHASH:19000:0:99999:7:::\n")
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "y",
              *FAST, "--checkpoint-dir", tmp_path / "ck")
    assert res.exit_code == 0, res.output
    meta, arrays = model_parts(tmp_path / "ck" / "last.npz")
    meta["config"]["dataset_options"]["data"] = str(secret)
    write_model(tmp_path / "ck" / "last.npz", meta, arrays)
    for extra in ([], ["--dataset", "csv"]):
        res = cli("train", "--resume", tmp_path / "ck", "--epochs", "2", "--quiet",
                  "--log-file", "", *extra)
        assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.output
        assert "SECRETHASH" not in res.output and "$6$" not in res.output
        assert "was trained on a csv file; pass that file (or another) with --dataset csv " \
               "--data FILE" in res.stderr
    res = cli("train", "--resume", tmp_path / "ck", "--epochs", "2", "--quiet", "--log-file",
              "", "--dataset", "csv", "--data", tmp_path / "d.csv")
    assert res.exit_code == 0, res.output
    res = cli("train", "--resume", tmp_path / "ck", "--epochs", "3", "--quiet", "--log-file",
              "", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "b")
    assert res.exit_code == 1 and "--target b differs from the checkpoint's 'y'" in res.stderr


def test_resume_still_takes_every_option_from_the_checkpoint(cli, tmp_path):
    """Paths aside, nothing changes: a digits run resumes with no option but --epochs."""
    res = cli("train", *FAST, "--checkpoint-dir", tmp_path / "ck")
    assert res.exit_code == 0, res.output
    res = cli("train", "--resume", tmp_path / "ck", "--epochs", "2", "--quiet", "--log-file",
              "")
    assert res.exit_code == 0, res.output
