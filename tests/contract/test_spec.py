import pytest

from nnplug.errors import SpecError, UnknownComponentError
from nnplug.nn.sequential import Sequential
from nnplug.spec import parse_spec


def test_parse_positional_and_keywords():
    items = parse_spec("linear:512,batchnorm:momentum=0.05:eps=1e-3,relu,dropout:p=0.2")
    assert [i.name for i in items] == ["linear", "batchnorm", "relu", "dropout"]
    assert items[0].positional == 512
    assert items[1].options == {"momentum": 0.05, "eps": 1e-3}
    assert items[3].options == {"p": 0.2}


def test_qualified_names_parse():
    assert parse_spec("core/linear:4")[0].name == "core/linear"


@pytest.mark.parametrize("spec,fragment", [
    ("linear,,relu", "token 2"),
    ("linear,", "token 2"),
    ("linear:abc(),relu", "token 1 'linear:abc()'"),
    ("lin ear", "token 1"),
    ("dropout:p=0.2:p=0.3", "given twice"),
    ("linear:4:8", "key=value"),
    ("dropout:1bad=2", "bad option name"),
])
def test_bad_syntax_points_at_token(spec, fragment):
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("spec,fragment", [
    ("linear:-3,relu", "token 1 'linear:-3'"),
    ("linear,relu:4", "token 2 'relu:4'"),
    ("dropout:p=1.5", "p must be in [0, 1)"),
    ("batchnorm:foo=1", "layer 'batchnorm' has no option 'foo' (options: momentum, eps)"),
    ("linear:p=3", "layer 'linear' has no option 'p' (options: units, bias)"),
    ("batchnorm:momentum=abc", "option 'momentum' expects a number, got 'abc'"),
    ("linear:8:bias=maybe", "option 'bias' expects true or false, got 'maybe'"),
])
def test_bad_options_point_at_token(spec, fragment):
    with pytest.raises(SpecError) as err:
        Sequential.from_spec(spec, 4, 2)
    assert fragment in str(err.value)


def test_unknown_layer_suggests_close_match():
    with pytest.raises(UnknownComponentError, match="Did you mean 'relu'"):
        Sequential.from_spec("linear,rleu", 4, 2)


def test_hidden_default_width_and_output_layer():
    model = Sequential.from_spec("linear,batchnorm,relu,linear:16,relu", 64, 10, hidden=32)
    widths = [(l.in_features, l.out_features) for l in model.layers]
    assert widths == [(64, 32), (32, 32), (32, 32), (32, 16), (16, 16), (16, 10)]


def test_init_follows_the_activation():
    model = Sequential.from_spec("linear,batchnorm,relu,linear,sigmoid", 10, 2, hidden=8)
    inits = [l.init for l in model.layers if l.name == "linear"]
    assert inits == ["he", "xavier", "xavier"]


def test_he_init_scale_is_not_tiny(rng):
    model = Sequential.from_spec("linear:2000,relu", 500, None, rng=0)
    std = model.layers[0].params["W"].std()
    assert std == pytest.approx((2 / 500) ** 0.5, rel=0.02)
