"""Dask's workers run with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's dynamic
mmap threshold (every array >= 128 KiB an mmap + munmap: the default digits run 1.7x
slower). A trial raises the thresholds while it trains and restores them after."""
import subprocess
import sys

from nnplug.runtime import allocator as malloc


class FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


def test_thresholds_are_raised_while_training_and_restored_after(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(malloc, "_libc", lambda: fake)
    monkeypatch.setenv(malloc.ENV, "65536")
    with malloc.for_training() as tuned:
        assert tuned
        assert fake.calls == [("mallopt", malloc.M_MMAP_THRESHOLD, 32 * 1024 * 1024),
                              ("mallopt", malloc.M_TRIM_THRESHOLD, 64 * 1024 * 1024)]
    assert fake.calls[2:] == [("mallopt", malloc.M_MMAP_THRESHOLD, 128 * 1024),
                              ("mallopt", malloc.M_TRIM_THRESHOLD, 65536),
                              ("malloc_trim", 0)]


def test_nothing_changes_where_the_environment_set_nothing(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(malloc, "_libc", lambda: fake)
    monkeypatch.delenv(malloc.ENV, raising=False)
    with malloc.for_training() as tuned:
        assert not tuned
    assert fake.calls == []


def test_a_trial_tunes_the_real_allocator_under_dasks_setting():
    code = ("from nnplug.runtime import allocator as malloc\nfrom nnplug.cli.sweep import trial as sweep_trial\n"
            "seen = []\n"
            "real = malloc.for_training\n"
            "def spy():\n"
            "    cm = real()\n"
            "    seen.append(cm)\n"
            "    return cm\n"
            "malloc.for_training = spy\n"
            "trial = {'id': 't', 'params': {}, 'options': {'epochs': 1, 'hidden': 8},\n"
            "         'dataset_options': {}}\n"
            "record = sweep_trial.run_trial(trial)\n"
            "assert record['status'] == 'ok', record\n"
            "assert len(seen) == 1\n"
            "with real() as tuned:\n"
            "    import sys; assert tuned is sys.platform.startswith('linux')\n")
    import os

    env = {**os.environ, malloc.ENV: "65536"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
