"""Benchmarks you can trust on a shared machine: the machinery behind ``nnplug bench``
and ``benchmarks/``.

* :mod:`.workloads` -- S0, W1, W2, R1: architecture, optimizer, batch, shaped random data
* :mod:`.engines` -- an nnplug backend through the real Solver; sgemm; :mod:`.peers`
  (PyTorch, scikit-learn)
* :mod:`.rounds` -- timing: whole epochs for at least N seconds, interleaved rotated rounds
* :mod:`.stats` -- median, spread, paired ratios, the GEMM-limit rule, warnings
* :mod:`.suite` -- one workload end to end; :mod:`.concurrent` -- two runs at once
* :mod:`.profile` -- where a per-op epoch's time goes, by backend op
* :mod:`.report` -- the text tables
"""
