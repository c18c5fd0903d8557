from .base_distiller import STATE_VERSION, BaseDistiller
from .data_free_distiller import DataFreeDistiller
from .knowledge_distiller import KnowledgeDistiller
from .normalization import InputNormalization
from .schedule import Stage, parse_schedule
from .task_adapter import logits_to_rows, rows_per_sample

__all__ = [
    'BaseDistiller', 'DataFreeDistiller', 'InputNormalization',
    'KnowledgeDistiller', 'STATE_VERSION', 'Stage', 'logits_to_rows',
    'parse_schedule', 'rows_per_sample'
]
