"""``nnplug compile``: fills the compiled backend's cache ahead of training, says what it
compiled, and a stack it cannot compile is one line."""
import pytest

pytestmark = pytest.mark.usefixtures("pair")


def test_compiles_a_given_stack_then_finds_it_cached(cli):
    res = cli("compile", "--layers", "linear:4,tanh", "--loss", "mse", "--optimizer", "sgd")
    assert res.exit_code == 0, res.output
    assert "[1/1] given stack" in res.stderr
    assert "nnplug compile: 1 stack(s) ready for backend numba" in res.stdout
    again = cli("compile", "--layers", "linear:4,tanh", "--loss", "mse", "--optimizer", "sgd")
    assert again.exit_code == 0 and "already cached, loaded" in again.stderr


def test_without_options_every_recipes_default_stack(cli):
    res = cli("compile")
    assert res.exit_code == 0, res.output
    from nnplug.nn.recipes import DEFAULT_LAYERS

    assert "small tabular classification" in DEFAULT_LAYERS
    for recipe in DEFAULT_LAYERS:
        assert f"defaults for {recipe} (" in res.stderr
    assert f"{len(DEFAULT_LAYERS)} stack(s) ready" in res.stdout


def test_a_bad_stack_is_one_line(cli):
    res = cli("compile", "--layers", "linear,nosuchlayer")
    assert res.exit_code == 2 and res.stderr.count("Error:") == 1
    assert "unknown layer 'nosuchlayer'" in res.stderr
