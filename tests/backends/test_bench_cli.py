"""``nnplug bench``: runs, profiles by op, and refuses bad input in one line."""
from click.testing import CliRunner

from nnplug.cli import main
from nnplug.cli.bench import OpTimer, gemm_limit, n_weights


def run(*args):
    return CliRunner().invoke(main, ["bench", *args], catch_exceptions=False)


def test_bench_prints_throughput_and_where_the_time_goes(backend):
    res = run("--workload", "W1", "--samples", "512", "--repeat", "1",
              "--backend", backend.name, "--blas-threads", "1")
    assert res.exit_code == 0, res.output
    assert "GEMM-bound limit" in res.output and "samples/s" in res.output
    for op in ("linear_act_forward", "linear_act_backward", "batchnorm_act_forward_train",
               "batchnorm_act_backward", "softmax_ce", "momentum_step"):
        assert op in res.output, op
    assert "(outside ops" in res.output


def test_bench_bad_backend_is_one_line():
    res = run("--backend", "nope", "--samples", "512")
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: unknown backend 'nope'")


def test_gemm_limit_formula():
    # W1: 784*256 + 256*256 + 256*10 weights; 6 FLOPs per weight per sample
    assert n_weights("W1") == 784 * 256 + 256 * 256 + 256 * 10
    assert gemm_limit("W1", 6.0 * n_weights("W1") / 1e9) == 1.0
    skipped = 2 * 784 * 256  # the d loss / d input GEMM of the first layer
    assert gemm_limit("W1", (6.0 * n_weights("W1") - skipped) / 1e9, input_grad=False) == 1.0


def test_op_timer_times_exclusive_of_nested_ops(backend):
    import numpy as np

    timer = OpTimer(backend)
    x, W = np.ones((4, 3), np.float32), np.ones((3, 2), np.float32)
    y = timer.backend.linear_act_forward(x, W, np.zeros(2, np.float32), "relu")
    np.testing.assert_array_equal(y, np.full((4, 2), 3.0, np.float32))
    assert timer.calls["linear_act_forward"] == 1 and timer.calls["bias_act"] == 1
    assert all(v >= 0 for v in timer.seconds.values())
