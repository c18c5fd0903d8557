from .cases import Case, load_method
from .measure import interleaved_times, median, peak_memory_mb
from .suite import format_table, run_benchmark
from .syncs import count_syncs

__all__ = [
    'Case', 'count_syncs', 'format_table', 'interleaved_times',
    'load_method', 'median', 'peak_memory_mb', 'run_benchmark'
]
