"""numba is optional and lazy: absent, disabled (NUMBA_DISABLE_JIT=1) and cached runs,
each in a fresh subprocess so the state of this process does not matter."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnplug.registry import get_registry


def numba_available() -> bool:
    return get_registry().get("backend", "numba").cls.availability()[0]


HERE = str(Path(__file__).resolve())
TESTS = Path(__file__).resolve().parents[2]
BLOCK_NUMBA = "import sys; sys.modules['numba'] = None\n"  # `import numba` now fails


def python(code, *, env=None, cwd=None, timeout=600):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


def test_help_and_plugin_import_do_not_import_numba():
    res = python("import sys\nfrom nnplug.cli import main\n"
                 "import nnplug_numba.plugin\n"
                 "from nnplug.registry import get_registry\n"
                 "assert 'numba' in get_registry().names('backend')\n"
                 "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                 "assert 'numba' not in sys.modules, 'numba imported'\nprint('LAZY')")
    assert res.returncode == 0, res.stderr
    assert "LAZY" in res.stdout and "gradcheck" in res.stdout


def test_without_numba_the_backend_is_listed_unavailable_and_refused_in_one_line(tmp_path):
    code = BLOCK_NUMBA + (
        "from nnplug.cli import main\n"
        "main(['plugins'] + sys.argv[1:])\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stdout.splitlines() if ln.strip().startswith("numba"))
    assert "[unavailable: numba is not installed" in line
    res = python(BLOCK_NUMBA + "from nnplug.cli import main\n"
                 "main(['train', '--backend', 'numba', '--epochs', '1', '--quiet'])",
                 cwd=tmp_path)
    assert res.returncode != 0
    err = res.stderr.strip().splitlines()
    assert err == ["Error: backend 'numba' is unavailable: numba is not installed "
                   "(pip install numba)"], res.stderr


@pytest.mark.slow
def test_numerical_suite_passes_with_numba_blocked():
    """The gradient/learning tests and these agreement tests, numba absent: the numpy
    backend runs them and the numba-only ones skip with the reason."""
    code = BLOCK_NUMBA + (
        "import pytest\n"
        f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-rs', '--ignore', {HERE!r},"
        f" {str(TESTS / 'nn' / 'test_gradients.py')!r},"
        f" {str(TESTS / 'plugins' / 'numba')!r}]))")
    res = python(code, cwd=TESTS.parent)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "numba backend unavailable here" in res.stdout
    assert " passed" in res.stdout


@pytest.mark.slow
@pytest.mark.skipif(not numba_available(), reason="numba not importable")
def test_agreement_and_gradients_with_jit_disabled():
    """NUMBA_DISABLE_JIT=1: the kernels run as plain Python and still agree with NumPy."""
    code = ("import sys, pytest\n"
            f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-x', '--ignore', {HERE!r},"
            f" '-k', 'not same_seed',"
            f" {str(TESTS / 'nn' / 'test_gradients.py')!r},"
            f" {str(TESTS / 'plugins' / 'numba')!r}]))")
    res = python(code, env={"NUMBA_DISABLE_JIT": "1"}, cwd=TESTS.parent)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "skipped" not in res.stdout.splitlines()[-1]


@pytest.mark.skipif(not numba_available(), reason="numba not importable")
def test_cache_dir_default_env_and_read_only(tmp_path):
    """Default: <user cache>/nnplug/numba, "compiling …" once, silent when cached;
    NUMBA_CACHE_DIR wins; an unwritable cache dir falls back to in-memory kernels."""
    use = ("import numpy as np\nfrom nnplug.runtime.backends import get_backend\n"
           "b = get_backend('numba')\n"
           "loss, g = b.softmax_cross_entropy(np.eye(3, dtype=np.float32), np.arange(3))\n"
           "import nnplug_numba.jit as j\nprint('CACHE', j.CACHE_DIR)\n")
    home = tmp_path / "home"
    env = {"XDG_CACHE_HOME": str(home / ".cache"), "HOME": str(home), "NUMBA_CACHE_DIR": ""}
    first = python(use, env=env)
    assert first.returncode == 0, first.stderr
    assert "compiling numba kernels" in first.stderr
    default_dir = home / ".cache" / "nnplug" / "numba"  # + one subdir per kernel-source hash
    assert f"CACHE {default_dir}{os.sep}" in first.stdout
    assert any(default_dir.rglob("*.nbi")), "no numba index files written"
    second = python(use, env=env)
    assert second.returncode == 0 and "compiling" not in second.stderr
    custom = tmp_path / "custom"
    third = python(use, env={**env, "NUMBA_CACHE_DIR": str(custom)})
    assert f"CACHE {custom}{os.sep}" in third.stdout and any(custom.rglob("*.nbi"))
    assert not any((home / ".cache").rglob("custom"))
    blocker = tmp_path / "a-file"  # a cache dir "inside" a file cannot be created, even by root
    blocker.write_text("")
    fourth = python(use, env={**env, "NUMBA_CACHE_DIR": str(blocker / "numba")})
    assert fourth.returncode == 0, fourth.stderr
    assert "CACHE None" in fourth.stdout and "memory only" in fourth.stderr
