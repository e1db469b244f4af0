"""What the numba backend's compiles cost a user, measured on whole commands.

Each round runs, interleaved, as separate processes (so every import and cache load counts):

* ``numpy``        -- ``nnplug train --backend numpy --epochs 1`` (the reference, warm);
* ``numba-cold``   -- the same with ``--backend numba`` and an empty numba cache;
* ``numba-warm``   -- the same again on the cache the cold run filled;
* ``plugin-new``   -- the warm cache plus one plugin kernel never compiled before (the
  example plugin's ``leaky_relu`` in the stack, loaded from its source tree);
* ``plugin-edit``  -- the same stack after an edit of a plugin file that holds no kernel
  (its ``onnx.py``): nothing should compile.

Printed per scenario: wall and CPU seconds (median, min-max), and each round's ratio to that
round's numpy run (median, min-max). Run it on an idle machine: ``python
benchmarks/compile_times.py --rounds 5`` (about a minute per cold round). The figures in
docs/backends.md come from it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "plugins" / "nnplug-leaky-relu"
TRAIN = ["train", "--epochs", "1", "--quiet", "--log-file", ""]

#: runs nnplug's CLI with the example plugin registered from a source tree (argv[1])
WITH_PLUGIN = """
import sys
sys.path.insert(0, sys.argv[1])
from nnplug.registry import Registry, set_registry
import nnplug_leaky_relu.plugin as plugin
registry = Registry()
registry.add_plugin(plugin, "leaky_relu", dist="nnplug-leaky-relu", version="0")
set_registry(registry)
from nnplug.cli import main
main(sys.argv[2:])
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process (CPU: user + sys of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write every measurement here")
    args = parser.parse_args()
    python = sys.executable
    nnplug = [python, "-c", "import sys; from nnplug.cli import main; main(sys.argv[1:])"]
    base_env = {**os.environ, "NNPLUG_LOAD_PLUGINS": "", "OMP_NUM_THREADS": "1"}
    stack = "linear,batchnorm,relu,leaky_relu,linear,batchnorm,relu"
    results: dict[str, list[tuple[float, float]]] = {}
    ratios: dict[str, list[float]] = {}
    for r in range(args.rounds):
        cache = tempfile.mkdtemp(prefix="nnplug-compile-bench-")
        plugin_src = Path(tempfile.mkdtemp(prefix="nnplug-plugin-src-"))
        shutil.copytree(EXAMPLE / "nnplug_leaky_relu", plugin_src / "nnplug_leaky_relu")
        env = {**base_env, "NUMBA_CACHE_DIR": cache}
        with_plugin = [python, "-c", WITH_PLUGIN, str(plugin_src)]
        try:
            rows = {
                "numpy": run([*nnplug, *TRAIN, "--backend", "numpy"], env),
                "numba-cold": run([*nnplug, *TRAIN, "--backend", "numba"], env),
                "numba-warm": run([*nnplug, *TRAIN, "--backend", "numba"], env),
                "plugin-new": run(
                    [*with_plugin, *TRAIN, "--backend", "numba", "--layers", stack], env
                ),
            }
            onnx = plugin_src / "nnplug_leaky_relu" / "onnx.py"
            onnx.write_text(onnx.read_text() + "\n# an edit that is not a kernel\n")
            rows["plugin-edit"] = run(
                [*with_plugin, *TRAIN, "--backend", "numba", "--layers", stack], env
            )
            rows["numpy-again"] = run([*nnplug, *TRAIN, "--backend", "numpy"], env)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(plugin_src, ignore_errors=True)
        reference = statistics.mean([rows["numpy"][0], rows["numpy-again"][0]])
        for name, value in rows.items():
            results.setdefault(name, []).append(value)
            ratios.setdefault(name, []).append(value[0] / reference)
        print(
            f"round {r + 1}: " + ", ".join(f"{k} {v[0]:.2f}s" for k, v in rows.items()),
            file=sys.stderr,
            flush=True,
        )
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"{args.rounds} interleaved rounds; load average now {' '.join(load)}")
    print(
        f"{'scenario':<12} {'wall s (median, min-max)':>26} {'CPU s':>8} {'x numpy (min-max)':>20}"
    )
    for name, values in results.items():
        walls, cpus = [v[0] for v in values], [v[1] for v in values]
        rs = ratios[name]
        print(
            f"{name:<12} {statistics.median(walls):>8.2f} ({min(walls):.2f}-{max(walls):.2f})"
            f"{statistics.median(cpus):>12.2f} {statistics.median(rs):>9.2f}x "
            f"({min(rs):.2f}-{max(rs):.2f})"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "ratios": ratios}, indent=2))


if __name__ == "__main__":
    main()
