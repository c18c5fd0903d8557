from .data_free_distiller import DataFreeDistiller
from .task_adapter import logits_to_rows, rows_per_sample

__all__ = ['DataFreeDistiller', 'logits_to_rows', 'rows_per_sample']
