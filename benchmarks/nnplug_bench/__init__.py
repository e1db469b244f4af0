"""nnplug-bench: ``nnplug bench`` (speed) and ``nnplug bench --quality``, a distribution of
its own (``pip install -e benchmarks/``) that adds the command through the
``nnplug_register_commands`` hook (:mod:`.plugin`); the pytest-benchmark suites of
``benchmarks/`` measure with it too. Nothing in nnplug imports it.

Speed -- benchmarks you can trust on a shared machine:

* :mod:`.workloads` -- S0, W1, W2, R1: architecture, optimizer, batch, shaped random data
* :mod:`.engine` -- the interface the timing loop drives; :mod:`.engines` -- an nnplug
  backend through the real Solver, sgemm, any engine by name; :mod:`.peers` -- PyTorch and
  scikit-learn on the same workloads
* :mod:`.rounds` -- timing: whole epochs for at least N seconds, interleaved rotated rounds
* :mod:`.stats` -- median, spread, paired ratios, the GEMM-limit rule, warnings
* :mod:`.suite` -- one workload end to end; :mod:`.concurrent` -- two runs at once (worker
  subprocesses: ``python -m nnplug_bench``, :mod:`.__main__`)
* :mod:`.profile` -- where a per-op epoch's time goes, by backend op
* :mod:`.report` -- the text tables

Quality -- test metrics of nnplug's defaults beside its peers:

* :mod:`.quality` -- the run and its table; :mod:`.quality_rows` -- the rows and their
  data; :mod:`.quality_peers` -- scikit-learn's MLP defaults and the PyTorch twin

:mod:`.twin` -- the PyTorch twin of an nnplug network, used by both;
:mod:`.command` -- the click command; :mod:`.plugin` -- the hook.
"""
