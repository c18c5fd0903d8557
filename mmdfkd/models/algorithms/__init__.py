from .data_free_distiller import DataFreeDistiller
from .knowledge_distiller import KnowledgeDistiller
from .task_adapter import logits_to_rows, rows_per_sample

__all__ = [
    'DataFreeDistiller', 'KnowledgeDistiller', 'logits_to_rows',
    'rows_per_sample'
]
