"""Small builders the tests share."""


def make_optimizer(name, *, lr=None, momentum=0.9, weight_decay=None, task="classification",
                   registry=None):
    """Optimizer ``name`` as a run of ``task`` makes it (unset lr/weight decay resolved by
    nnplug.nn.recipes.resolve_optimizer)."""
    from nnplug.nn.config import TrainConfig
    from nnplug.nn.resolve import resolve_optimizer
    from nnplug.nn.training import make_optimizer as make

    config = TrainConfig(optimizer=name, lr=lr, momentum=momentum, weight_decay=weight_decay)
    resolve_optimizer(config, task, registry)
    return make(config, registry)


def create(kind, name, registry=None, **options):
    """Component ``name`` of ``kind`` made as nnplug makes every component
    (nnplug.registry.resolve.make_component), with ``options``."""
    from nnplug.registry.resolve import make_component
    from nnplug.spec import ComponentSpec

    return make_component(kind, ComponentSpec(name, options=dict(options), token=name), registry)
