"""The real download path against a local http.server: success, checksum mismatch,
truncated transfer, a dead mirror then a working one, an interrupted transfer."""
from pathlib import Path

import pytest

from httpserver import dead_url
from httpserver import FileServer
from idxfiles import STEMS, fake_mnist
from nnplug.errors import DataError
from nnplug_datasets.download import download
from nnplug_datasets.mnist import MNIST


@pytest.fixture
def served(tmp_path):
    """Fake MNIST files on a local server; yields (server, payload checksums)."""
    src = tmp_path / "src"
    sums = fake_mnist(src)
    files = {f"{stem}.gz": (src / f"{stem}.gz").read_bytes() for stem in STEMS}
    with FileServer(files) as server:
        yield server, sums


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_success_verifies_and_renames(served, tmp_path):
    server, sums = served
    seen = []
    dest = tmp_path / "cache"
    path = download("train-images-idx3-ubyte.gz", [server.url("ok")], dest,
                    sha256=sums["train-images-idx3-ubyte"],
                    progress=lambda name, done, total: seen.append((name, done, total)))
    assert path == dest / "train-images-idx3-ubyte.gz"
    assert leftovers(dest) == ["train-images-idx3-ubyte.gz"]  # no temporary left
    total = path.stat().st_size
    assert seen[0] == ("train-images-idx3-ubyte.gz", 0, total)
    assert seen[-1] == ("train-images-idx3-ubyte.gz", total, total)


def test_checksum_mismatch_is_rejected_and_not_cached(served, tmp_path):
    server, sums = served
    dest = tmp_path / "cache"
    with pytest.raises(DataError, match="checksum mismatch"):
        download("train-images-idx3-ubyte.gz", [server.url("bad")], dest,
                 sha256=sums["train-images-idx3-ubyte"])
    assert leftovers(dest) == []


def test_truncated_transfer_is_rejected(served, tmp_path):
    server, sums = served
    dest = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        download("train-images-idx3-ubyte.gz", [server.url("trunc")], dest,
                 sha256=sums["train-images-idx3-ubyte"])
    assert "truncated transfer" in str(info.value)
    assert leftovers(dest) == []


def test_dead_mirror_then_bad_then_working_one(served, tmp_path):
    server, sums = served
    dest = tmp_path / "cache"
    path = download("t10k-labels-idx1-ubyte.gz",
                    [dead_url(), server.url("bad"), server.url("ok")], dest,
                    sha256=sums["t10k-labels-idx1-ubyte"])
    assert path.is_file() and leftovers(dest) == ["t10k-labels-idx1-ubyte.gz"]
    assert server.requests == ["/bad/t10k-labels-idx1-ubyte.gz", "/ok/t10k-labels-idx1-ubyte.gz"]


def test_every_mirror_failing_names_each_reason(served, tmp_path):
    server, sums = served
    with pytest.raises(DataError) as info:
        download("t10k-labels-idx1-ubyte.gz", [dead_url(), server.url("bad"),
                                               server.url("nope")], tmp_path / "c",
                 sha256=sums["t10k-labels-idx1-ubyte"])
    message = str(info.value)
    assert "\n" not in message
    assert message.count("127.0.0.1") == 3 and "checksum mismatch" in message
    assert "HTTP 404" in message


def test_interrupted_download_leaves_nothing_trusted(served, tmp_path):
    server, sums = served
    dest = tmp_path / "cache"

    def kill(name, done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download("train-images-idx3-ubyte.gz", [server.url("ok")], dest,
                 sha256=sums["train-images-idx3-ubyte"], progress=kill)
    assert leftovers(dest) == []


def test_mnist_downloads_into_the_cache_and_loads(served, tmp_path, monkeypatch):
    server, sums = served
    monkeypatch.setattr(MNIST, "mirrors", (dead_url(), server.url("ok")))
    monkeypatch.setattr(MNIST, "sha256", sums)
    monkeypatch.setenv("NNPLUG_DATA", str(tmp_path / "root"))
    data = MNIST().load(seed=0)
    assert leftovers(tmp_path / "root" / "mnist") == sorted(f"{s}.gz" for s in STEMS)
    assert len(data.X_train) + len(data.X_val) == 60 and len(data.X_test) == 20
    # complete now: a second load makes no request at all
    before = len(server.requests)
    MNIST().load(seed=0)
    assert len(server.requests) == before


def test_data_dir_with_complete_files_never_downloads(served, tmp_path, monkeypatch):
    server, sums = served
    fake_mnist(tmp_path / "mine", seed=3, gz=False)  # other valid files: loads, warns
    monkeypatch.setattr(MNIST, "mirrors", (server.url("ok"),))
    data = MNIST().load(data_dir=str(tmp_path / "mine"))
    assert server.requests == [] and len(data.X_test) == 20


def test_offline_error_names_missing_files_and_folder(tmp_path):
    fake_mnist(tmp_path / "part")
    for stem in STEMS[1:2]:  # (a folder holding only the t10k files: tests/reliability)
        (tmp_path / "part" / f"{stem}.gz").unlink()
    with pytest.raises(DataError) as info:
        MNIST().load(data_dir=str(tmp_path / "part"))
    message = str(info.value)
    assert "\n" not in message and "cannot download train-labels-idx1-ubyte.gz" in message
    assert "missing train-labels-idx1-ubyte.gz in" in message
    assert str(tmp_path / "part") in message and "t10k" not in message.split("missing")[1]
    assert leftovers(tmp_path / "part") == sorted(f"{s}.gz" for s in STEMS if s != STEMS[1])


def test_old_partial_files_of_killed_runs_are_swept(served, tmp_path):
    import os

    server, sums = served
    dest = tmp_path / "cache"
    dest.mkdir()
    # named and moded as part_file's mkstemp makes them: only those are ever swept
    old = dest / ".t10k-labels-idx1-ubyte.gz.abc12345.part"
    fresh = dest / ".t10k-labels-idx1-ubyte.gz.def45678.part"  # maybe another live download
    for part in (old, fresh):
        part.write_bytes(b"half a file")
        part.chmod(0o600)
    os.utime(old, (1, 1))
    download("t10k-labels-idx1-ubyte.gz", [server.url("ok")], dest,
             sha256=sums["t10k-labels-idx1-ubyte"])
    assert leftovers(dest) == [fresh.name, "t10k-labels-idx1-ubyte.gz"]
