"""Every command block of README.md and docs/*.md runs as written.

Each document runs in its own copy of the repository, as a fresh clone
after the two set-up commands (``make demo``, ``make test``) would be:
``.venv`` is this interpreter's environment and ``work_dirs/digits_teacher/
teacher.pth`` (the teacher ``make demo`` caches) is the session's short-
trained teacher, and tiny Fashion-MNIST files written by the tests stand in
for the Debian package ``make data-fashion-mnist`` links (tests never read
the package). Its ``bash`` blocks run in order with bash, as in a shell
where ``source .venv/bin/activate`` was run; its ``python`` blocks run with
the earlier ones of the same document (a config example, one that assigns
``_base_`` or a ``*_dataloader``, is loaded with ``Config.fromfile`` from
``configs/`` and its model and loaders built). Documents run two at a
time (each in its own copy).

Commands that train for long are shortened by appending options
(:data:`SHORTER`); blocks that cannot run here are listed with the reason
(:data:`SKIPPED`). Both lists are checked against the documents, so that
neither goes stale.

What runs fully and what only as a dry run: every command runs fully
(shortened), except the second and later commands of a document that
match a prefix of :data:`REPEATS`, which run with the tool's own dry run
appended instead. In docs/fashion_mnist.md that is
``tools/benchmark_quality.py``: its first ``fmnist`` command and its
first ``fmnist-lenet`` command train, test and report for real (DFAD, 2
rounds), and the later commands of each task, with their own methods,
budgets, options and work dirs, run ``--dry-run`` (the teacher loaded,
each named method's config built as the report runs it, with its runner,
and its training and validation data drawn; nothing trained). bash
parses those commands where they stand (:data:`DEFER` records their
arguments), and the document's dry runs then run in one process, each as
the tool's ``main(argv)``, after its blocks: a process of their own each
would spend most of its seconds importing torch and the OpenMMLab stack.

For the same reason every ``python`` of a document (its commands' and
its ``python`` blocks') is forked from a zygote that imported torch and
the copy's mmdfkd once (tests/zygote.py): each command is still a process
of its own, with its argv, working directory, environment, output and exit
status. tools/dist_train.sh's torchrun and its workers fork from it too;
other interpreter options and a command whose environment differs run
the real interpreter.
"""
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest

from tests.conftest import ROOT
from tests.fashion_mnist_data import write_fashion_mnist
from tests.process import free_port, run_bounded
from tests.zygote import Zygote

DOCS = ['README.md'] + sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'docs', '*.md')))

#: (document, first line of the block) -> why it does not run here.
SKIPPED: Dict[Tuple[str, str], str] = {
    ('README.md', 'make demo   # sets up .venv if missing, then data-free '
     'distillation on digits'):
    'the set-up commands themselves (make test would start this test '
    'again)',
    ('README.md', '# a fresh environment, exactly the tested set (what '
     '`make` does)'):
    'installs packages into the active environment: what the set-up did',
    ('docs/benchmarks.md',
     'python tools/benchmark.py --device cuda --amp --channels-last'):
    'needs a CUDA device',
    ('docs/benchmarks.md', '# pinned wheels into the git-ignored '
     '.gpu_wheels/ (20 wheels, 15 MiB;'):
    'downloads wheels from PyPI; the dry run is '
    'tests/test_tools/test_gpu_check.py',
    ('docs/distributed.md', '# on node 0 (address 10.0.0.1)'):
    'needs two machines',
    ('docs/imagenet.md', 'python tools/train.py configs/fast_resnet50_'
     'resnet18_imagenet.py --cfg-options model.teacher_ckpt=checkpoints/'
     'resnet50_8xb32_in1k_20210831-ea4938fc.pth'):
    'needs ImageNet, the released ResNet-50 weights and GPUs; '
    'tests/test_configs/test_configs_run.py trains these configs at 32x32 '
    'on a tiny ImageNet in this layout',
    ('docs/imagenet.md', 'bash tools/dist_train.sh configs/deepinv_resnet50_'
     'resnet50_imagenet.py 8 --cfg-options model.teacher_ckpt=checkpoints/'
     'resnet50_8xb32_in1k_20210831-ea4938fc.pth'):
    'needs ImageNet, the released ResNet-50 weights and 8 GPUs',
    ('docs/imagenet.md', 'python tools/test.py work_dirs/fast_resnet50_'
     'resnet18_imagenet/student/student_config.py work_dirs/fast_resnet50_'
     'resnet18_imagenet/student/student.pth'):
    'needs the student of the ImageNet run above and ImageNet',
    ('docs/federated.md', 'make data-fashion-mnist   # Fashion-MNIST'
     "'s official files -> data/fashion_mnist"):
    'make targets: make would check (and may reinstall) the environment '
    'this test runs in, and data-fashion-mnist installs a Debian package; '
    'tests/test_federated/test_demo_fedgen.py runs the demo',
    ('docs/federated.md', 'OMP_NUM_THREADS=1 python tools/fed_benchmark.py'
     '   # the grid -> work_dirs/fed_benchmark/{summary.json,results.md,'
     'curves_alpha*.png}'):
    "needs Fashion-MNIST's files and takes about 2 hours; "
    'tests/test_federated/test_fed_benchmark.py runs the grid on small data',
    ('docs/federated.md', 'OMP_NUM_THREADS=1 python tools/'
     'flower_vs_simulation.py --method fedgen --rounds 3 --splits val test'
     ' --timeout 900   # K = 20, α = 0.1, seed 0 -> work_dirs/flower_vs_sim/'
     'comparison.json'):
    "needs the [fed] extra and Fashion-MNIST's files; "
    'tests/test_federated/test_flower_e2e.py runs this tool on digits',
    ('docs/federated.md', 'pip install -e ".[fed]"'):
    'installs a package into the active environment',
    ('docs/federated.md', 'export FLWR_HOME=$PWD/work_dirs/flwr_home'
     '          # Flower writes its state here'):
    'needs the [fed] extra and starts Flower servers that run until '
    'stopped; tests/test_federated/test_flower_e2e.py runs this deployment',
    ('docs/fashion_mnist.md', 'make demo-fmnist'):
    'a make target: make would check (and may reinstall) the environment '
    'this test runs in; tests/test_tools/test_demo.py runs the demo\'s '
    'Fashion-MNIST path from a fresh folder',
    ('docs/segmentation.md', 'python tools/train.py configs/teachers/'
     'deeplabv3_r50-d8_camvid.py   # teacher'):
    'needs the CamVid dataset',
}

#: Sandbox folder of the tiny Fashion-MNIST files (relative to the copy).
TINY_FMNIST = 'tiny_fashion_mnist'
#: The file of a copy where :data:`DEFER` records its commands.
DEFERRED_FILE = 'doc_dry_runs.txt'
_DIGITS_ROUNDS = ('--cfg-options train_cfg.max_iters=4 '
                  'train_cfg.val_interval=4 train_dataloader.batch_size=16')
#: One epoch of 256 Fashion-MNIST training images.
_FMNIST_EPOCH = ('--cfg-options train_cfg.max_epochs=1 '
                 'train_dataloader.dataset.indices=256')
#: One full report of DFAD, 2 rounds.
_QUALITY = ('--methods dfad --budget 4 --rounds 2 --val-points 1 '
            '--cfg-options train_dataloader.batch_size=16')
#: Command prefix (environment assignments stripped) -> options appended to
#: shorten it; the first matching prefix applies. Later options of
#: --cfg-options override earlier ones.
SHORTER: List[Tuple[str, str]] = [
    ('python tools/train.py configs/teachers/digits_convnet.py',
     '--cfg-options train_cfg.max_epochs=3'),
    ('make data-fashion-mnist', f'FMNIST_SYSTEM=$PWD/{TINY_FMNIST}'),
    ('tools/dist_train.sh configs/dfq_digits.py 2 --work-dir '
     'work_dirs/dfq_digits_2p --resume',
     '--cfg-options train_cfg.max_iters=6 train_cfg.val_interval=6 '
     'train_dataloader.batch_size=16'),
    ('python tools/train.py configs/dfq_digits.py', _DIGITS_ROUNDS),
    ('python tools/train.py configs/deepinv_digits.py',
     _DIGITS_ROUNDS + ' model.synthesizer.iterations=2'),
    ('python tools/train.py configs/teachers/fashion_mnist_',
     _FMNIST_EPOCH),
    ('python tools/train.py configs/students/fashion_mnist_',
     _FMNIST_EPOCH),
    ('python tools/test.py configs/teachers/fashion_mnist_',
     '--cfg-options test_dataloader.dataset.indices=64'),
    ('python tools/train.py configs/kd_convnet_fashion_mnist.py',
     '--cfg-options train_cfg.max_iters=2 train_cfg.val_interval=2'),
    ('python tools/train.py configs/kd_lenet5_fashion_mnist.py',
     '--cfg-options train_cfg.max_iters=2 train_cfg.val_interval=2'),
    ('python tools/benchmark_quality.py fmnist-lenet', _QUALITY),
    ('python tools/benchmark_quality.py fmnist', _QUALITY),
    ('python tools/synthesize.py configs/deepinv_convnet_fashion_mnist.py',
     '--num-images 16 --batch-size 16 '
     '--cfg-options model.synthesizer.iterations=2'),
    ('python tools/quantize.py configs/teachers/fashion_mnist_convnet.py',
     '--num-calib 16 --cfg-options test_dataloader.dataset.indices=64'),
    ('tools/dist_train.sh configs/dfq_digits.py', _DIGITS_ROUNDS),
    ('.venv/bin/python tools/stress_dist.py', '--runs 1'),
    ('python tools/synthesize.py configs/deepinv_digits.py',
     '--cfg-options model.synthesizer.iterations=2'),
    ('python tools/benchmark.py --pool-scale',
     '--pool-sizes 16 64 --pool-image-size 8 --pool-shard-size 8 '
     '--pool-cache-images 16 --pool-read-batch 4 --pool-read-batches 1 '
     '--student-batch 2'),
    ('python tools/benchmark.py',
     '--configs configs/dfad_digits.py --batch 2 --repeats 1 --warmup 0 '
     '--bank-sizes 64'),
    ('python tools/dataset_converters/street_scenes.py',
     '--num-train 16 --num-val 8 --num-test 8'),
    ('python tools/train.py configs/teachers/deeplabv3_street_scenes.py',
     '--cfg-options train_cfg.max_iters=2 train_cfg.val_interval=2'),
    ('python tools/train.py configs/ddad_deeplabv3_street_scenes.py',
     '--cfg-options train_cfg.max_iters=2 train_cfg.val_interval=2 '
     'train_dataloader.batch_size=4'),
]
#: :data:`SHORTER` prefix -> options appended, instead of its own, to the
#: second and later commands of a document that it matches: equivalent runs
#: of one tool, checked by its dry run once the first has run fully. They
#: are deferred (:data:`DEFER`), so the prefix must be ``python <tool>``
#: of a tool with ``main(argv)``.
REPEATS: Dict[str, str] = {
    'python tools/benchmark_quality.py fmnist-lenet': '--dry-run',
    'python tools/benchmark_quality.py fmnist': '--dry-run',
}
#: The shell function a repeat's command line calls instead of running:
#: it appends the arguments, as bash parsed them, to the file named by
#: $DOC_DRY_RUNS, one shell-quoted line each (:func:`deferred`).
DEFER = 'defer_dry_run'
DEFINE_DEFER = (f'{DEFER}() {{ printf \'%q \' "$@" >> "$DOC_DRY_RUNS"; '
                'echo >> "$DOC_DRY_RUNS"; }\n')
#: A command line's environment assignments (``X=1 Y=2 python ...``).
ENV_PREFIX = re.compile(r'^(\s*\w+=\S+\s+)*')
#: What only a config example assigns at the top level.
CONFIG_KEYS = re.compile(r'^(_base_|\w+_dataloader)\s*=', re.M)
#: Seconds a block may take.
TIMEOUT = 600


class Block(NamedTuple):
    doc: str
    line: int  # of the opening fence
    lang: str
    text: str

    @property
    def key(self) -> Tuple[str, str]:
        return self.doc, self.text.splitlines()[0].strip()

    def __str__(self) -> str:
        return f'{self.doc}:{self.line}'


def blocks(doc: str) -> List[Block]:
    """The fenced ``bash`` and ``python`` blocks of ``doc``, in order."""
    with open(osp.join(ROOT, doc)) as f:
        text = f.read()
    out = []
    for m in re.finditer(r'^```(\w*)\n(.*?)^```', text, re.M | re.S):
        if m.group(1) in ('bash', 'python'):
            out.append(Block(doc, text.count('\n', 0, m.start()) + 1,
                             m.group(1), m.group(2)))
    return out


def shortened(script: str,
              seen: Optional[set] = None) -> Tuple[str, List[str]]:
    """``script`` with the :data:`SHORTER` options appended to the commands
    they match (the :data:`REPEATS` options to those whose prefix is in
    ``seen``, the prefixes of the document's earlier commands, which it
    collects, and these deferred), and the prefixes used."""
    seen = set() if seen is None else seen
    lines = re.sub(r'\s*\\\n\s*', ' ', script).splitlines()
    used = []
    for i, line in enumerate(lines):
        code, sep, comment = line.partition(' #')
        start = ENV_PREFIX.match(code).end()
        command = code[start:].strip()
        command = ' '.join(command.split())
        for prefix, extra in SHORTER:
            if command.startswith(prefix):
                if prefix in seen and prefix in REPEATS:
                    extra = REPEATS[prefix]
                    code = f'{code[:start]}{DEFER} {code[start:]}'
                lines[i] = f'{code.rstrip()} {extra}' + (
                    f' {sep.strip()}{comment}' if sep else '')
                used.append(prefix)
                seen.add(prefix)
                break
    return '\n'.join(lines) + '\n', used


def sandbox(root, teacher: str) -> str:
    """A copy of the repository's files (what a clone holds), the
    environment linked as ``.venv`` and ``make demo``'s teacher cache."""
    files = subprocess.run(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        src = osp.join(ROOT, rel)
        if osp.isfile(src):
            dst = osp.join(root, rel)
            os.makedirs(osp.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    os.symlink(sys.prefix, osp.join(root, '.venv'))
    cache = osp.join(root, 'work_dirs', 'digits_teacher')
    os.makedirs(cache)
    shutil.copy2(teacher, osp.join(cache, 'teacher.pth'))
    write_fashion_mnist(osp.join(root, TINY_FMNIST), n_train=360, n_test=80)
    return str(root)


def environment(root: str) -> dict:
    """An activated environment: this interpreter's ``bin`` first on the
    PATH, the copy's package first on the import path, one thread per
    process, a free port for torchrun."""
    env = dict(os.environ)
    for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                'MASTER_PORT', 'PORT', 'PYTHON'):
        env.pop(key, None)
    env.update(
        PATH=osp.dirname(sys.executable) + os.pathsep + env['PATH'],
        VIRTUAL_ENV=sys.prefix,
        PYTHONPATH=root,
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PORT=str(free_port()),
        DOC_DRY_RUNS=osp.join(root, DEFERRED_FILE))
    return env


#: Checks a config example (argument: its path): builds its model and
#: draws a batch from each of its loaders.
CONFIG_CHECK = textwrap.dedent('''
    import sys
    import mmdfkd  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    from mmdfkd.registry import MODELS
    cfg = Config.fromfile(sys.argv[1])
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope') or 'mmdfkd'):
        if cfg.get('model', {}).get('type'):
            MODELS.build(cfg.model)
        for key in cfg:
            if key.endswith('_dataloader'):
                next(iter(Runner.build_dataloader(cfg[key].to_dict())))
    print('config example ok')
''')


def run_block(block: Block, root: str, scripts: List[str], seen: set,
              zygote: Zygote) -> str:
    env = zygote.env(dict(PORT=str(free_port())))
    if block.lang == 'bash':
        script, _ = shortened(block.text, seen)
        args = ['bash', '-e', '-c', DEFINE_DEFER + script]
    elif CONFIG_KEYS.search(block.text):
        path = osp.join(root, 'configs', '_doc_example.py')
        with open(path, 'w') as f:
            f.write(block.text)
        args = [zygote.python, '-c', CONFIG_CHECK, path]
    else:
        args = [zygote.python, '-c', '\n'.join(scripts + [block.text])]
        scripts.append(block.text)
    return run_checked(args, root, env, f'{block}', block.text)


def run_checked(args: List[str], root: str, env: dict, where: str,
                text: str) -> str:
    proc = run_bounded(args, TIMEOUT, cwd=root, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    assert proc.returncode == 0, (
        f'{where} failed ({proc.returncode}):\n{text}\n'
        f'--- output (end) ---\n{proc.stdout[-6000:]}')
    return proc.stdout


#: Runs the deferred commands (argument: the file :data:`DEFER` wrote),
#: each as its tool's ``main(argv)``, in order, in this one process.
DEFERRED_RUNS = textwrap.dedent('''
    import importlib.util
    import shlex
    import sys
    tools = {}
    for line in open(sys.argv[1]):
        python, path, *argv = shlex.split(line)
        if path not in tools:
            spec = importlib.util.spec_from_file_location(
                path.replace('/', '_')[:-3], path)
            tools[path] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(tools[path])
        print('$', line.strip(), flush=True)
        tools[path].main(argv)
''')


def deferred(doc: str, root: str,
             zygote: Optional[Zygote] = None) -> Optional[str]:
    """Run ``doc``'s deferred dry runs, if it has any (in ``zygote``'s
    ``python`` if given); their output."""
    path = osp.join(root, DEFERRED_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        text = f.read()
    python, env = ((zygote.python, zygote.env()) if zygote else
                   (sys.executable, environment(root)))
    return run_checked([python, '-c', DEFERRED_RUNS, path], root, env,
                       f'{doc}: deferred dry runs', text)


def test_skip_and_shorten_lists_match_the_documents():
    """Every skipped block exists, and every shortening rule is used."""
    keys = {b.key for doc in DOCS for b in blocks(doc)}
    assert set(SKIPPED) <= keys, set(SKIPPED) - keys
    used = {p for doc in DOCS for b in blocks(doc) if b.lang == 'bash'
            for p in shortened(b.text)[1]}
    assert used == {p for p, _ in SHORTER}
    # every REPEATS rule meets a repeat in some document
    repeated = set()
    for doc in DOCS:
        seen: set = set()
        for b in blocks(doc):
            if b.lang == 'bash' and b.key not in SKIPPED:
                before = set(seen)
                repeated |= set(shortened(b.text, seen)[1]) & before
    assert set(REPEATS) <= repeated, set(REPEATS) - repeated


def test_shortened_appends_before_comments():
    script, used = shortened(
        'OMP_NUM_THREADS=1 tools/dist_train.sh configs/dfq_digits.py 2 \\\n'
        '    --work-dir x   # two processes\n'
        'python tools/test.py a b\n')
    assert script.splitlines() == [
        'OMP_NUM_THREADS=1 tools/dist_train.sh configs/dfq_digits.py 2 '
        f'--work-dir x {_DIGITS_ROUNDS} # two processes',
        'python tools/test.py a b'
    ]
    assert used == ['tools/dist_train.sh configs/dfq_digits.py']


def test_repeats_run_the_dry_run_after_a_full_first_run():
    seen: set = set()
    first, _ = shortened('python tools/benchmark_quality.py fmnist '
                         '--budget 300\n', seen)
    assert first.split() == (
        'python tools/benchmark_quality.py fmnist --budget 300'.split()
        + _QUALITY.split())
    later, used = shortened(
        'python tools/benchmark_quality.py fmnist-lenet --methods dafl\n'
        'python tools/benchmark_quality.py fmnist --methods zskt \\\n'
        '    --budget 300\n'
        'python tools/benchmark_quality.py fmnist-lenet --methods dafl '
        '--rounds 9\n', seen)
    assert later.splitlines() == [
        'python tools/benchmark_quality.py fmnist-lenet --methods dafl '
        + _QUALITY,
        f'{DEFER} python tools/benchmark_quality.py fmnist --methods zskt '
        '--budget 300 --dry-run',
        # each task's first command trains, its later ones dry-run
        f'{DEFER} python tools/benchmark_quality.py fmnist-lenet '
        '--methods dafl --rounds 9 --dry-run']
    assert used == ['python tools/benchmark_quality.py fmnist-lenet',
                    'python tools/benchmark_quality.py fmnist',
                    'python tools/benchmark_quality.py fmnist-lenet']


def test_deferred_runs_get_the_arguments_bash_parsed(tmp_path):
    """A repeat's command line is parsed by bash where it stands (its
    quotes, variables, environment prefix) and runs later, in order, as
    the tool's main(argv), all of a document's in one process."""
    tool = tmp_path / 'tools' / 'benchmark_quality.py'
    tool.parent.mkdir()
    tool.write_text(textwrap.dedent('''
        import json, os, sys
        def main(argv):
            with open('calls.json', 'a') as f:
                f.write(json.dumps([os.getpid()] + argv) + '\\n')
        if __name__ == '__main__':
            main(sys.argv[1:])
    '''))
    seen: set = set()
    script = ''.join(shortened(text, seen)[0] for text in (
        'python tools/benchmark_quality.py fmnist --budget 300\n',
        'X=1 python tools/benchmark_quality.py fmnist \\\n'
        '    --cfg-options "a.milestones=[80,160]" b=\'c d\'  # note\n'
        'python tools/benchmark_quality.py fmnist --work-dir $X/y\n'))
    env = dict(environment(str(tmp_path)), X='w')
    subprocess.run(['bash', '-e', '-c', DEFINE_DEFER + script],
                   cwd=tmp_path, env=env, check=True)
    with open(tmp_path / 'calls.json') as f:  # the first run, in place
        assert [json.loads(x)[1:] for x in f] == [
            'fmnist --budget 300'.split() + _QUALITY.split()]
    deferred('doc', str(tmp_path))
    with open(tmp_path / 'calls.json') as f:
        calls = [json.loads(x) for x in f][1:]
    assert [c[1:] for c in calls] == [
        ['fmnist', '--cfg-options', 'a.milestones=[80,160]', 'b=c d',
         '--dry-run'],
        ['fmnist', '--work-dir', 'w/y', '--dry-run']]
    assert calls[0][0] == calls[1][0]  # one process


def commands(doc: str) -> int:
    """The number of command lines the document's test runs."""
    return sum(
        1 for b in blocks(doc) if b.lang == 'bash' and b.key not in SKIPPED
        for line in shortened(b.text)[0].splitlines()
        if line.strip() and not line.lstrip().startswith('#'))


def run_document(doc: str, root: str) -> None:
    scripts: List[str] = []
    seen: set = set()
    with Zygote(environment(root)) as zygote:
        for block in blocks(doc):
            if block.key not in SKIPPED:
                run_block(block, root, scripts, seen, zygote)
        deferred(doc, root, zygote)


@pytest.fixture(scope='module')
def document_runs(request, trained_teacher, tmp_path_factory):
    """The selected documents' runs, two at a time (the blocks of one
    document run in order), the documents with most commands first: the
    longest (docs/fashion_mnist.md) runs beside all the others instead of
    after most of them."""
    selected = sorted({
        item.callspec.params['doc'] for item in request.session.items
        if item.originalname == 'test_command_blocks_run'
    }, key=lambda doc: (-commands(doc), DOCS.index(doc)))
    pool = ThreadPoolExecutor(max_workers=2)
    runs: Dict[str, Future] = {}
    for doc in selected:
        root = sandbox(tmp_path_factory.mktemp('clone'), trained_teacher)
        runs[doc] = pool.submit(run_document, doc, root)
    yield runs
    pool.shutdown(wait=True)


@pytest.mark.parametrize('doc', [d for d in DOCS if blocks(d)])
def test_command_blocks_run(doc, document_runs):
    document_runs[doc].result()


def _flags(paragraph_start: str) -> List[str]:
    with open(osp.join(ROOT, 'README.md')) as f:
        text = f.read()
    paragraph = text[text.index(paragraph_start):].split('\n\n')[0]
    return sorted(set(re.findall(r'`(--[\w-]+)`', paragraph)))


@pytest.mark.parametrize('tool,start', [
    ('tools/train.py', "`tools/train.py` takes mmseg's training flags"),
    ('tools/test.py', "`tools/test.py` takes mmseg's test flags"),
])
def test_readme_flags_are_the_tools(tool, start):
    """The README once listed --resume and --amp for tools/test.py, which
    has neither."""
    flags = _flags(start)
    assert len(flags) >= 5
    out = subprocess.run([sys.executable, osp.join(ROOT, tool), '--help'],
                         cwd=ROOT, capture_output=True, text=True,
                         timeout=120).stdout
    accepted = set(re.findall(r'(--[\w-]+)', out))
    assert set(flags) <= accepted, set(flags) - accepted
