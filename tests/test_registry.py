"""mmdfkd's registry nodes: one under every MMEngine root registry, so that
builds under the ``mmdfkd`` default scope find their scope."""
import logging

import mmengine.registry as root
from mmengine.logging import MMLogger
from mmengine.registry import Registry

import mmdfkd.registry as ours


def root_registries():
    return {
        name: reg
        for name, reg in vars(root).items()
        if isinstance(reg, Registry) and reg.parent is None
    }


def test_every_root_registry_has_an_mmdfkd_child():
    roots = root_registries()
    assert {'METRICS', 'VISUALIZERS', 'VISBACKENDS'} <= set(roots)
    for name, reg in roots.items():
        with reg.switch_scope_and_registry('mmdfkd') as found:
            assert found.scope == 'mmdfkd', name
        assert getattr(ours, name).parent is reg, name


class Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_building_under_the_mmdfkd_scope_warns_nothing():
    """What every run builds in its default scope: a metric, a visualizer
    with its backend. Before, each printed "Failed to search registry with
    scope mmdfkd"; the types still come from their own scopes."""
    logger = MMLogger.get_current_instance()
    records = Records()
    logger.addHandler(records)
    try:
        with root.DefaultScope.overwrite_default_scope('mmdfkd'):
            metric = root.METRICS.build(dict(type='mmpretrain.Accuracy'))
            backend = root.VISBACKENDS.build(
                dict(type='LocalVisBackend', save_dir='unused'))
            assert ours.VISUALIZERS.get('Visualizer') is root.VISUALIZERS.get(
                'Visualizer')
    finally:
        logger.removeHandler(records)
    assert type(metric).__name__ == 'Accuracy'
    assert type(backend).__name__ == 'LocalVisBackend'
    assert not [m for m in records.messages if 'Failed to search' in m]
