"""Run the benchmark cases and put the results in a table."""
from typing import Callable, Dict, List, Optional

import torch

from mmdfkd.models.synthesizers import OnlineSynthesizer
from .cases import (Built, Case, bank_costs, load_method, student_case,
                    synthesizer_case)
from .measure import interleaved_times, median
from .syncs import count_syncs


def build_cases(configs: List[str], teacher: Optional[str],
                student: Optional[str], batch_size: int,
                img_size: Optional[int], iters: int, device: torch.device,
                amp: bool, channels_last: bool,
                progress: Optional[Callable[[str], None]] = None
                ) -> List[Case]:
    """One synthesizer case per config, plus the student step of the
    first pool recipe and of the first online recipe."""
    cases: List[Case] = []
    students = set()
    for path in configs:
        cfg = load_method(path, teacher, student, img_size)
        built = Built(cfg, batch_size, device, channels_last, amp)
        cases.append(synthesizer_case(built, path, iters))
        kind = ('online' if isinstance(built.synthesizer, OnlineSynthesizer)
                else 'pool')
        if kind not in students:
            students.add(kind)
            case = student_case(built, path, iters)
            case.name = 'student' if kind == 'pool' else 'student_online'
            cases.append(case)
        if progress:
            progress(f'built {type(built.synthesizer).__name__} from {path}')
    return cases


def run_benchmark(configs: List[str], teacher: Optional[str] = None,
                  student: Optional[str] = None, batch_size: int = 64,
                  img_size: Optional[int] = None, repeats: int = 7,
                  warmup: int = 1, iters: int = 1,
                  bank_sizes: Optional[List[int]] = None,
                  device: torch.device = torch.device('cpu'),
                  amp: bool = False, channels_last: bool = False,
                  progress: Optional[Callable[[str], None]] = None,
                  clock: str = 'wall', syncs: bool = False) -> dict:
    """Time every case against its floor (interleaved) and the memory
    bank for ``bank_sizes``; return the results as plain data. With
    ``syncs``, each entry also gets ``syncs_per_iter``
    (:func:`sync_counts`)."""
    cases = build_cases(configs, teacher, student, batch_size, img_size,
                        iters, device, amp, channels_last, progress)
    steps = {}
    for i, case in enumerate(cases):
        steps[f'{i}.method'] = case.method
        if case.method_lo is not None:
            steps[f'{i}.method_lo'] = case.method_lo
        steps[f'{i}.floor'] = case.floor
    times, peaks = interleaved_times(steps, repeats, warmup, device,
                                     progress, clock)
    entries = []
    for i, case in enumerate(cases):
        method_ms = median(times[f'{i}.method'])
        if case.method_lo is not None:
            # a round of 1 + iters steps minus a round of 1 step
            lo = median(times[f'{i}.method_lo'])
            per_iter = (method_ms - lo) / case.iters
            extra = dict(round_overhead_ms=lo - per_iter)
        else:
            per_iter, extra = method_ms / case.iters, {}
        floor_ms = median(times[f'{i}.floor']) / case.iters
        entries.append(dict(
            name=case.name,
            config=case.config,
            ms_per_iter=per_iter,
            floor_ms=floor_ms,
            ratio_to_floor=per_iter / floor_ms,
            ratio_paired=paired_ratio(times[f'{i}.method'],
                                      times.get(f'{i}.method_lo'),
                                      times[f'{i}.floor']),
            peak_mem_mb=peaks[f'{i}.method'],
            floor_peak_mem_mb=peaks[f'{i}.floor'],
            floor=case.floor_desc,
            samples_ms=dict(method=times[f'{i}.method'],
                            method_lo=times.get(f'{i}.method_lo'),
                            floor=times[f'{i}.floor']),
            **extra, **case.extra))
        if syncs:
            entries[-1].update(sync_counts(case, device))
    result = dict(entries=entries)
    cmi = [c for c in cases if c.extra.get('num_negatives')]
    if bank_sizes:
        negatives = cmi[0].extra['num_negatives'] if cmi else 4096
        dim = cmi[0].extra['bank_dim'] if cmi else 1024
        result['memory_bank'] = bank_costs(bank_sizes, dim, negatives,
                                           batch_size, repeats, device,
                                           clock)
    return result


def sync_counts(case: Case, device: torch.device) -> dict:
    """Host–device synchronisations per iteration of ``case`` (run after
    the timing, so first-call paths are behind it): for a pool
    synthesizer the difference of a round of ``1 + iters`` inner steps
    and a round of 1 step, divided by ``iters`` (what the round does once
    cancels out, as for its time); otherwise one call's count divided by
    ``iters``. :func:`mmdfkd.benchmark.syncs.count_syncs` says what is
    counted on each device."""
    method = count_syncs(case.method, device)
    if case.method_lo is None:
        return dict(syncs_per_iter=method / case.iters)
    lo = count_syncs(case.method_lo, device)
    return dict(syncs_per_iter=(method - lo) / case.iters,
                syncs_per_round=lo - (method - lo) / case.iters)


def paired_ratio(method: List[float], method_lo: Optional[List[float]],
                 floor: List[float]) -> float:
    """Median over repeats of method / floor within each repeat (for a
    pool synthesizer, (round − shorter round) / floor): steadier than the
    ratio of medians when the load changes between repeats."""
    lo = method_lo or [0.0] * len(method)
    return median([(m - l) / f for m, l, f in zip(method, lo, floor)])


def format_table(result: Dict) -> str:
    """The entries and bank costs as a Markdown table."""
    syncs = any('syncs_per_iter' in e for e in result['entries'])
    head = '| step | ms/iter | floor ms | ratio | paired ratio | peak MiB |'
    rule = '|---|---:|---:|---:|---:|---:|'
    if syncs:
        head, rule = head + ' syncs/iter |', rule + '---:|'
    lines = [head + ' floor |', rule + '---|']
    for e in result['entries']:
        mem = e['peak_mem_mb']
        sync = f" {e.get('syncs_per_iter', float('nan')):g} |" if syncs else ''
        lines.append(
            f"| {e['name']} | {e['ms_per_iter']:.1f} | {e['floor_ms']:.1f} "
            f"| {e['ratio_to_floor']:.2f} | {e['ratio_paired']:.2f} | "
            f"{'n/a' if mem is None else f'{mem:.0f}'} |{sync} "
            f"{e['floor']} |")
    if result.get('memory_bank'):
        lines += ['', '| bank size | draw + push ms |', '|---:|---:|']
        for b in result['memory_bank']:
            lines.append(f"| {b['size']} | {b['ms_per_step']:.3f} |")
    return '\n'.join(lines)
