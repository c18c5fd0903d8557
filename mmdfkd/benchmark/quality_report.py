"""What ``tools/benchmark_quality.py`` reports: times to a fraction of the
teacher's validation accuracy, a Markdown table, the learning-curve plot
and the grid of each method's synthesized images."""
from typing import Dict, List, Optional, Sequence

METRIC = 'accuracy/top1'
#: Fractions of the teacher's validation accuracy whose first crossing is
#: reported.
FRACTIONS = (0.90, 0.95)


def seconds_to_reach(points: Sequence[dict], target: float,
                     metric: str = METRIC,
                     clock: str = 'seconds') -> Optional[float]:
    """Training time of the first validation point whose ``metric`` is at
    least ``target``; None when no point reaches it.

    Args:
        points (Sequence[dict]): ``ValCurveHook`` points, in order.
        target (float): The threshold.
        metric (str): Defaults to ``'accuracy/top1'``.
        clock (str): ``'seconds'`` (wall-clock) or ``'cpu_seconds'``.
            Defaults to ``'seconds'``.
    """
    for point in points:
        if point.get(metric, float('-inf')) >= target:
            return float(point[clock])
    return None


def best_point(points: Sequence[dict],
               metric: str = METRIC) -> Optional[dict]:
    """The validation point with the highest ``metric`` (the earliest of
    equals: what a ``CheckpointHook`` with ``save_best`` keeps)."""
    best = None
    for point in points:
        if metric in point and (best is None or point[metric] > best[metric]):
            best = point
    return best


def _fmt(value, spec: str = '.2f', none: str = '–') -> str:
    return none if value is None else format(value, spec)


def markdown_table(summary: dict) -> str:
    """One row per method: rounds, training seconds, test accuracy and
    ratio to the teacher of the final and of the validation-selected
    student, seconds to 90 % and 95 % of the teacher's validation
    accuracy, and the machine load during the run."""
    teacher = summary['teacher']
    budget = summary['budget']
    prefix = 'cpu_' if budget['clock'] == 'cpu' else ''
    lines = [
        f"Task `{summary['task']}`, teacher test "
        f"{_fmt(teacher.get('test_accuracy'))} % (val "
        f"{_fmt(teacher.get('val_accuracy'))} %); budget "
        f"{budget['seconds']:g} s ({budget['clock']}) of training per "
        f"method, rounds: {budget['rounds']}; seed {summary['seed']}; commit "
        f"{summary['commit']['hash'][:10]}"
        f"{' (uncommitted changes)' if summary['commit']['dirty'] else ''}."
        ' Accuracies on the test split; "final" is the student at the end '
        'of the run, "val-selected" the checkpoint with the best '
        'validation accuracy; seconds of training (validation excluded), '
        f"wall / CPU; times to 90 and 95 % of the teacher's validation "
        f"accuracy in {budget['clock']} seconds; load: mean 1-minute load "
        'average during the run.',
        '',
        '| method | rounds | seconds wall / CPU | final test % | ratio | '
        'val-selected test % | ratio | s to 90 % | s to 95 % | load |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for name, row in summary['methods'].items():
        if 'error' in row:
            lines.append(f"| {name} | failed: {row['error']} |" + ' |' * 8)
            continue
        final, sel = row['final'], row['val_selected']
        lines.append(
            f"| {name} | {row['rounds']}/{row['rounds_planned']} | "
            f"{row['seconds']:.0f} / {row['cpu_seconds']:.0f} | "
            f"{_fmt(final['test_accuracy'])} | "
            f"{_fmt(final['ratio'], '.3f')} | "
            f"{_fmt(sel.get('test_accuracy'))} | "
            f"{_fmt(sel.get('ratio'), '.3f')} | "
            f"{_fmt(row[prefix + 'seconds_to_90'], '.0f')} | "
            f"{_fmt(row[prefix + 'seconds_to_95'], '.0f')} | "
            f"{_fmt(row['load']['mean'], '.1f')} |")
    return '\n'.join(lines) + '\n'


def plot_curves(summary: dict, path: str) -> str:
    """Validation accuracy of every method against training seconds, on
    one figure: wall-clock (left) and CPU time (right), with the lines at
    90 % and 95 % of the teacher's validation accuracy."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5), dpi=120, sharey=True)
    teacher = summary['teacher'].get('val_accuracy')
    for ax, clock, label in zip(axes, ('seconds', 'cpu_seconds'),
                                ('wall-clock', 'CPU')):
        for name, row in summary['methods'].items():
            points = [p for p in row.get('curve', []) if METRIC in p]
            if points:
                ax.plot([p[clock] for p in points],
                        [p[METRIC] for p in points],
                        marker='.', label=name)
        if teacher:
            for fraction, style in zip(FRACTIONS, (':', '--')):
                ax.axhline(fraction * teacher, color='grey',
                           linestyle=style, linewidth=1,
                           label=f'{fraction:.0%} of the teacher (val)')
        ax.set_xlabel(f'training seconds ({label}, validation excluded)')
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('validation accuracy (%)')
    axes[1].legend(fontsize=8, loc='lower right')
    fig.suptitle(f"{summary['task']}: validation accuracy of the students "
                 f"(mean load {mean_load(summary):.1f} on "
                 f"{summary['machine'].get('cpus')} CPUs)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def mean_load(summary: dict) -> float:
    """Mean load average over the methods' runs."""
    loads = [row['load']['mean'] for row in summary['methods'].values()
             if 'load' in row]
    return sum(loads) / len(loads) if loads else float('nan')


def grid_figure(grids: Dict[str, str], path: str,
                columns: int = 4) -> Optional[str]:
    """The latest synthesized-image grid of every method (PNG files, name
    → path) side by side, titled by method; None when there is none."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    grids = {k: v for k, v in grids.items() if v}
    if not grids:
        return None
    columns = min(columns, len(grids))
    rows = -(-len(grids) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3 * columns, 3.2 * rows), dpi=120,
        squeeze=False)
    for ax in axes.flat:
        ax.axis('off')
    for ax, (name, png) in zip(axes.flat, grids.items()):
        ax.imshow(mpimg.imread(png), interpolation='nearest')
        ax.set_title(name)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def method_row(curve: dict, teacher_val: Optional[float],
               teacher_test: Optional[float], final_test: Optional[float],
               selected_test: Optional[float]) -> dict:
    """A method's summary entry from its ``ValCurveHook`` file and the
    test accuracies of its final and validation-selected students."""
    points: List[dict] = curve.get('points', [])
    best = best_point(points)

    def ratio(acc):
        return None if acc is None or not teacher_test else (acc /
                                                               teacher_test)

    row = dict(
        rounds=curve.get('rounds'),
        seconds=curve.get('seconds'),
        cpu_seconds=curve.get('cpu_seconds'),
        final=dict(
            test_accuracy=final_test,
            ratio=ratio(final_test),
            val_accuracy=points[-1][METRIC] if points and METRIC in points[
                -1] else None),
        val_selected=dict(
            iter=best['iter'] if best else None,
            val_accuracy=best[METRIC] if best else None,
            test_accuracy=selected_test,
            ratio=ratio(selected_test)),
        curve=points)
    for fraction in FRACTIONS:
        key = f'seconds_to_{round(fraction * 100)}'
        row[key] = None if not teacher_val else seconds_to_reach(
            points, fraction * teacher_val)
        row['cpu_' + key] = None if not teacher_val else seconds_to_reach(
            points, fraction * teacher_val, clock='cpu_seconds')
    return row
