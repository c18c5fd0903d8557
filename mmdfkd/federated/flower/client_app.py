"""Flower ClientApp: one client's FedGen (or FedAvg) local step.

The node's data is partition ``partition-id`` of ``num-partitions`` (node
config) of the training split of the FL config's data set, drawn with the
run's seed exactly as the in-process simulation draws it.
"""
import torch
from flwr.app import Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

import mmdfkd  # noqa: F401  (the compatibility layer, registries)
from mmdfkd.federated.client import client_update
from mmdfkd.federated.data import load_labels, load_split
from mmdfkd.federated.experiment import client_indices
from mmdfkd.federated.simulation import client_seed
from mmdfkd.registry import MODELS
from .records import (CONFIG_KEY, GENERATOR_KEY, LABEL_COUNTS_KEY,
                      METRICS_KEY, MODEL_KEY, counts_record, load_config,
                      to_record, to_state)

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    """Load the global model (and generator), train locally, reply with
    the model, ``num-examples``, ``partition-id`` and the label counts."""
    cfg = load_config(str(context.run_config['config']))
    partition = int(context.node_config['partition-id'])
    num_partitions = int(context.node_config['num-partitions'])
    if not 0 <= partition < num_partitions:
        raise ValueError(f'partition-id {partition} is not in '
                         f'[0, num-partitions={num_partitions})')
    cfg.partition.num_clients = num_partitions
    conf = msg.content[CONFIG_KEY]
    seed = int(conf['seed'])
    # the partition is drawn from the labels; only this node's share of
    # the images is loaded as a tensor
    share = client_indices(cfg, seed,
                           load_labels(cfg.data, 'train').tolist())[partition]
    images, labels = load_split(cfg.data, 'train', indices=share)

    model = MODELS.build(cfg.model)
    model.load_state_dict(to_state(msg.content[MODEL_KEY]))
    generator = None
    if GENERATOR_KEY in msg.content:
        generator = MODELS.build(cfg.generator)
        generator.load_state_dict(to_state(msg.content[GENERATOR_KEY]))
    round_cfg = dict(
        reg_weight=float(conf['reg-weight']),
        latent_weight=float(conf['latent-weight']),
        prox_mu=float(conf['proximal-mu']),
        label_probs=torch.tensor(list(conf['label-probs'])))
    update = client_update(
        partition,
        model,
        images,
        labels,
        cfg.num_classes,
        dict(cfg.local),
        round_cfg,
        generator=generator,
        seed=client_seed(seed, int(conf['server-round']), partition))
    metrics = MetricRecord({
        'num-examples': update.num_examples,
        'partition-id': partition,
        **{k: float(v)
           for k, v in update.metrics.items()}
    })
    return Message(
        content=RecordDict({
            MODEL_KEY: to_record(update.state),
            METRICS_KEY: metrics,
            LABEL_COUNTS_KEY: counts_record(update.label_counts),
        }),
        reply_to=msg)
