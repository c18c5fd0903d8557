"""The figures of ``tools/gpu_check.py``: benchmark JSON and training
logs summarised, and the Markdown report."""
import glob
import json
import os.path as osp
import statistics
from typing import List

#: Highest paired ratio to the floor (docs/benchmarks.md).
TARGETS = dict(synthesizer=1.2, student=1.1)


def summarise_bench(bench: dict) -> dict:
    """The entries (name, ms, floor ms, ratio, syncs/iter, peak MiB),
    the memory bank costs and each entry against its target."""
    entries = []
    for e in bench['entries']:
        kind = 'student' if e['name'].startswith('student') else \
            'synthesizer'
        entries.append(dict(
            name=e['name'], ms_per_iter=e['ms_per_iter'],
            floor_ms=e['floor_ms'], ratio_to_floor=e['ratio_to_floor'],
            ratio_paired=e['ratio_paired'], target=TARGETS[kind],
            within_target=e['ratio_paired'] <= TARGETS[kind],
            syncs_per_iter=e.get('syncs_per_iter'),
            peak_mem_mb=e['peak_mem_mb'], floor=e['floor']))
    return dict(entries=entries, memory_bank=bench.get('memory_bank'),
                machine=bench['machine'], setting=bench['setting'])


def rounds_log(work_dir: str) -> List[dict]:
    """The training records of ``scalars.json`` (one per logged round)."""
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    if not files:
        raise FileNotFoundError(f'no scalars.json under {work_dir}')
    with open(sorted(files)[-1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r for r in records if 'time' in r and 'iter' in r]


def train_figures(work_dir: str, skip: int = 0) -> dict:
    """Seconds per round (median over the logged rounds after the first
    ``skip``), peak GPU memory (mmengine's ``memory``, MiB; None on a
    CPU), and whether every logged loss is finite."""
    records = rounds_log(work_dir)
    times = [r['time'] for r in records[skip:]] or \
        [r['time'] for r in records]
    losses = [v for r in records for k, v in r.items()
              if 'loss' in k and isinstance(v, (int, float))]
    memory = [r['memory'] for r in records if 'memory' in r]
    return dict(rounds_logged=len(records),
                seconds_per_round=statistics.median(times),
                peak_gpu_mem_mb=max(memory) if memory else None,
                losses_finite=bool(losses) and all(
                    abs(v) < float('inf') and v == v for v in losses))


def fmt(value, spec: str = '.2f') -> str:
    return 'n/a' if value is None else format(value, spec)


def bench_table(part: dict) -> List[str]:
    lines = ['| step | ms/iter | floor ms | ratio | paired ratio | '
             'target | syncs/iter | peak MiB |',
             '|---|---:|---:|---:|---:|---:|---:|---:|']
    for e in part['entries']:
        lines.append(
            f"| {e['name']} | {e['ms_per_iter']:.2f} | "
            f"{e['floor_ms']:.2f} | {e['ratio_to_floor']:.2f} | "
            f"{e['ratio_paired']:.2f} | ≤ {e['target']} "
            f"{'yes' if e['within_target'] else 'NO'} | "
            f"{fmt(e['syncs_per_iter'], 'g')} | "
            f"{fmt(e['peak_mem_mb'], '.0f')} |")
    return lines


def summary_line(part: dict) -> str:
    name = part['name']
    if part['status'] != 'ok':
        return part.get('error', '')
    if 'entries' in part:
        worst = max(part['entries'], key=lambda e: e['ratio_paired'])
        syncs = [e['syncs_per_iter'] for e in part['entries']
                 if e['syncs_per_iter'] is not None]
        return (f"highest paired ratio {worst['ratio_paired']:.2f} "
                f"({worst['name']}); syncs/iter max {fmt(max(syncs), 'g')}"
                if syncs else '')
    if name == 'camvid':
        return (f"{part['seconds_per_round']:.3f} s/round, peak GPU "
                f"{fmt(part['peak_gpu_mem_mb'], '.0f')} MiB, peak RSS "
                f"{fmt(part['peak_rss_mb'], '.0f')} MiB, "
                f"{part['published_rounds']} rounds ≈ "
                f"{part['projected_hours']:.2f} h")
    extra = part.get('wrapper') or part.get('backend')
    return (f"{part['iterations']} rounds, {extra}, "
            f"{part['seconds_per_round']:.3f} s/round, peak GPU "
            f"{fmt(part['peak_gpu_mem_mb'], '.0f')} MiB")


def markdown(report: dict) -> str:
    m = report['machine']
    lines = [f"# GPU check ({report['mode']})", '',
             f"Machine: {m.get('gpu') or 'CPU only'}, {m['cpus']} CPUs, "
             f"torch {m['torch']} (CUDA {m['cuda']}), Python "
             f"{m['python']}; mmengine {m['mmengine']}, mmcv {m['mmcv']}, "
             f"mmpretrain {m['mmpretrain']}, mmseg {m['mmseg']}, kornia "
             f"{m['kornia']}. Took {report['elapsed_s']:.0f} s of a "
             f"{report['budget_s']:.0f} s budget.", '',
             '| part | status | seconds | figures |', '|---|---|---:|---|']
    for p in report['parts']:
        lines.append(f"| {p['name']} | {p['status']} | "
                     f"{fmt(p.get('seconds'), '.0f')} | "
                     f"{summary_line(p)} |")
    for p in report['parts']:
        if p['status'] == 'ok' and 'entries' in p:
            lines += ['', f"## {p['name']}", '',
                      f"`{p['setting']['command']}`", '', *bench_table(p)]
    lines += ['', 'Ratios are paired (per repeat, then the median); '
              'syncs/iter: synchronising CUDA calls per iteration (sync '
              'debug mode) on a GPU, host reads of tensor values on a '
              'CPU; a pool synthesizer\'s per inner step.']
    return '\n'.join(lines) + '\n'
