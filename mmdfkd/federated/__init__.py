"""FedGen (data-free knowledge distillation for heterogeneous federated
learning) and its FedAvg and FedProx baselines, in plain PyTorch.

The transport lives in :mod:`mmdfkd.federated.flower` (optional extra
``fed``); nothing here imports flwr.
"""
from .client import (ClientUpdate, check_generator, client_update,
                     fedgen_regulariser, latent_matching, local_train,
                     proximal_term, regulariser_weight)
from .models import FeatureGenerator, FedClassifier
from .partition import dirichlet_partition, label_counts
from .server import FedGenServer, diversity_loss, weighted_average
from .simulation import ClientDropout, RoundLog, simulate

__all__ = [
    'ClientUpdate', 'check_generator', 'client_update',
    'fedgen_regulariser', 'latent_matching', 'local_train', 'proximal_term',
    'regulariser_weight', 'FeatureGenerator', 'FedClassifier',
    'dirichlet_partition', 'label_counts', 'FedGenServer', 'diversity_loss',
    'weighted_average', 'ClientDropout', 'RoundLog', 'simulate'
]
