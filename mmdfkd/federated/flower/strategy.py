"""A Flower strategy for FedGen: FedAvg's message flow, with the
generator as a second ArrayRecord and the label counts read back."""
import logging
from typing import Iterable, List, Optional, Tuple

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord
from flwr.serverapp import Grid
from flwr.serverapp.strategy import FedAvg
from mmengine.logging import print_log

from mmdfkd.federated.client import ClientUpdate
from mmdfkd.federated.server import FedGenServer
from mmdfkd.federated.simulation import RoundLog, client_means
from .records import (CONFIG_KEY, GENERATOR_KEY, LABEL_COUNTS_KEY,
                      METRICS_KEY, MODEL_KEY, to_record, to_state)


class FedGenStrategy(FedAvg):
    """FedGen (or FedAvg / FedProx, when the server has no generator)
    over Flower.

    ``configure_train`` adds the round's regulariser weights
    (``reg-weight`` α_t, ``latent-weight`` β_t), FedProx's μ under
    Flower's own key ``proximal-mu`` and the label distribution to the
    config and, once trained, the generator as a second ``ArrayRecord``;
    ``aggregate_train`` turns the replies (model ``ArrayRecord``,
    ``MetricRecord`` with ``num-examples`` and ``partition-id``,
    label-count ``ConfigRecord``) into :class:`ClientUpdate` objects,
    ordered by partition id as the simulation orders its clients, for the
    plain-PyTorch :class:`FedGenServer`. Clients are named by their
    partition id (their node id when a reply has none); nodes that
    replied with an error or not at all are reported in
    :attr:`round_logs` by node id (their partition is unknown); the round
    completes with the others.

    Args:
        server (FedGenServer): The algorithm's server state.
        **kwargs: :class:`flwr.serverapp.strategy.FedAvg` arguments
            (``min_train_nodes``, ``min_available_nodes``, ...); federated
            evaluation is off (``fraction_evaluate=0``).
    """

    def __init__(self, server: FedGenServer, **kwargs) -> None:
        kwargs.setdefault('fraction_evaluate', 0.0)
        super().__init__(
            arrayrecord_key=MODEL_KEY, configrecord_key=CONFIG_KEY, **kwargs)
        self.server = server
        self.round_logs: List[RoundLog] = []
        # what the last configure_train sent, to report missing replies
        self._sent: List[int] = []
        self._weights = dict(reg_weight=0.0, latent_weight=0.0)

    def configure_train(self, server_round: int, arrays: ArrayRecord,
                        config: ConfigRecord,
                        grid: Grid) -> Iterable[Message]:
        """FedAvg's train messages, plus FedGen's generator and config."""
        round_cfg = self.server.round_config(server_round)
        self._weights = {
            k: float(round_cfg[k])
            for k in ('reg_weight', 'latent_weight')
        }
        config['reg-weight'] = self._weights['reg_weight']
        config['latent-weight'] = self._weights['latent_weight']
        config['proximal-mu'] = float(round_cfg['prox_mu'])
        config['label-probs'] = [float(p) for p in round_cfg['label_probs']]
        messages = list(
            super().configure_train(server_round, arrays, config, grid))
        state = self.server.generator_state()
        if state is not None:
            generator = to_record(state)
            for msg in messages:
                msg.content[GENERATOR_KEY] = generator
        self._sent = [msg.metadata.dst_node_id for msg in messages]
        return messages

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> Tuple[Optional[ArrayRecord], Optional[MetricRecord]]:
        """Aggregate through :class:`FedGenServer`; report dropouts."""
        replies = list(replies)
        valid, errors = self._check_and_log_replies(
            replies, is_train=True, validate=False)
        dropouts = {
            int(m.metadata.src_node_id): f'error reply: {m.error.reason}'
            for m in errors
        }
        answered = {int(m.metadata.src_node_id) for m in replies}
        for node in self._sent:
            if int(node) not in answered:
                dropouts[int(node)] = 'no reply before the round timeout'
        if dropouts:
            print_log(f'round {server_round}: {len(dropouts)} node(s) '
                      f'dropped out: {dropouts}', 'current', logging.WARNING)
        updates = sorted((self._update(m) for m in valid),
                         key=lambda u: u.client_id)
        if not updates:
            raise RuntimeError(f'round {server_round}: every node dropped '
                               f'out ({dropouts}); nothing to aggregate')
        metrics = self.server.finish_round(updates)
        metrics.update(client_means(updates))
        metrics.update(self._weights)
        self.round_logs.append(
            RoundLog(server_round, [u.client_id for u in updates], dropouts,
                     metrics))
        return (to_record(self.server.model.state_dict()),
                MetricRecord({k: float(v)
                              for k, v in metrics.items()}))

    @staticmethod
    def _update(msg: Message) -> ClientUpdate:
        content = msg.content
        if LABEL_COUNTS_KEY not in content:
            raise ValueError(
                f'node {msg.metadata.src_node_id} sent no '
                f'{LABEL_COUNTS_KEY!r} ConfigRecord: FedGen needs every '
                "client's label counts (use mmdfkd's ClientApp)")
        counts = content[LABEL_COUNTS_KEY]
        metrics = content[METRICS_KEY]
        return ClientUpdate(
            client_id=int(
                metrics.get('partition-id', msg.metadata.src_node_id)),
            state=to_state(content[MODEL_KEY]),
            num_examples=int(metrics['num-examples']),
            label_counts=np.asarray(counts['counts'], dtype=np.int64),
            metrics={
                k: float(v)
                for k, v in metrics.items()
                if k not in ('num-examples', 'partition-id')
            })
