"""Conversions between Flower records and the plain-PyTorch algorithm."""
import os.path as osp
from typing import Dict

import numpy as np
import torch
from flwr.app import ArrayRecord, ConfigRecord
from mmengine.config import Config

#: Keys of the records in train messages and replies.
MODEL_KEY = 'arrays'
GENERATOR_KEY = 'generator'
CONFIG_KEY = 'config'
METRICS_KEY = 'metrics'
LABEL_COUNTS_KEY = 'label-counts'


def to_record(state: Dict[str, torch.Tensor]) -> ArrayRecord:
    """An ``ArrayRecord`` of a ``state_dict``."""
    return ArrayRecord.from_torch_state_dict(
        {k: v.detach().cpu()
         for k, v in state.items()})


def to_state(record: ArrayRecord) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` held by an ``ArrayRecord``."""
    return record.to_torch_state_dict()


def counts_record(counts: np.ndarray) -> ConfigRecord:
    """A client's label counts as a ``ConfigRecord``."""
    return ConfigRecord({'counts': [int(c) for c in counts]})


def load_config(path: str) -> Config:
    """The FL config at ``path``; a relative path that does not exist from
    the working directory is read from the repository root."""
    if not osp.isabs(path) and not osp.exists(path):
        root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
            osp.abspath(__file__)))))
        path = osp.join(root, path)
    return Config.fromfile(path)
