"""mmdfkd's registry nodes, children of MMEngine's root registries.

Components registered here are found under the ``mmdfkd`` scope; the
``locations`` make a config that names an mmdfkd type import the module
that registers it.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as \
    MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'MODELS', 'MODEL_WRAPPERS', 'HOOKS', 'LOOPS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'WEIGHT_INITIALIZERS', 'METRICS', 'EVALUATOR',
    'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS', 'RUNNERS',
    'RUNNER_CONSTRUCTORS', 'STRATEGIES', 'TASK_UTILS', 'FUNCTIONS',
    'INFERENCERS'
]

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmdfkd.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    locations=['mmdfkd.models.wrappers'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmdfkd.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmdfkd.engine'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['mmdfkd.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    locations=['mmdfkd.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['mmdfkd.datasets'])
OPTIMIZERS = Registry(
    'optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmdfkd.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
    locations=['mmdfkd.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmdfkd.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['mmdfkd.engine'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMENGINE_WEIGHT_INITIALIZERS,
    locations=['mmdfkd.models'])

# Nodes that mmdfkd registers nothing in (hence no `locations`). They exist
# so that a build under the `mmdfkd` scope (a config with
# `default_scope = 'mmdfkd'`) finds its scope in every registry tree:
# without them MMEngine warns "Failed to search registry with scope mmdfkd"
# for the metric, visualizer and vis-backend builds of every run. Lookups
# still reach MMEngine's types through the parent and other packages' types
# through their scope prefix (e.g. 'mmpretrain.Accuracy').
METRICS = Registry('metric', parent=MMENGINE_METRICS)
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR)
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS)
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS)
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES)
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS)
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS)
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS)
