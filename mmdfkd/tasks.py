"""Named distillation tasks: a teacher (its training config and the
checkpoint the distillation configs read) and the method configs that
distil it. ``tools/demo.py`` and ``tools/benchmark_quality.py`` take a
task name."""
import os.path as osp
from typing import Dict, NamedTuple, Optional


class Task(NamedTuple):
    """One teacher and its distillation configs.

    Attributes:
        teacher_config (str): The teacher's supervised training config.
        methods (dict[str, str]): Method name → config; the first is the
            task's default (its best method).
        references (dict[str, str]): Real-data reference configs (e.g.
            ``'kd'``), runnable like a method.
        description (str): One line for help texts.
    """
    teacher_config: str
    methods: Dict[str, str]
    references: Dict[str, str]
    description: str

    @property
    def teacher_ckpt(self) -> str:
        """The weights the method configs read (``model.teacher_ckpt``):
        what ``python tools/train.py <teacher_config>`` writes."""
        stem = osp.splitext(osp.basename(self.teacher_config))[0]
        return f'work_dirs/{stem}/teacher.pth'

    def config(self, method: str) -> Optional[str]:
        """The config of a method or reference, None when unknown."""
        return self.methods.get(method) or self.references.get(method)


def _fmnist(pair: str, names) -> Dict[str, str]:
    return {m: f'configs/{m}_{pair}_fashion_mnist.py' for m in names}


TASKS: Dict[str, Task] = {
    'digits': Task(
        teacher_config='configs/teachers/digits_convnet.py',
        methods={
            m: f'configs/{m}_digits.py'
            for m in ('dfq', 'dfad', 'ddad', 'dafl', 'zskt', 'deepinv',
                      'deepinv_crd', 'cmi', 'fast', 'rdskd')
        },
        references={'kd': 'configs/kd_digits.py'},
        description="scikit-learn's 8×8 digits, ConvNet 32-64-128 → "
        '16-32-64'),
    'fmnist': Task(
        teacher_config='configs/teachers/fashion_mnist_convnet.py',
        methods=_fmnist('convnet',
                        ('ddad', 'dfq', 'dfad', 'dafl', 'zskt', 'rdskd',
                         'deepinv', 'deepinv_crd', 'cmi', 'fast')),
        references={'kd': 'configs/kd_convnet_fashion_mnist.py'},
        description='Fashion-MNIST 28×28, pair (b): BatchNorm ConvNet '
        '32-64-128 → 16-32-64'),
    'fmnist-lenet': Task(
        teacher_config='configs/teachers/fashion_mnist_lenet5.py',
        methods=_fmnist('lenet5', ('dfad', 'dafl', 'zskt', 'rdskd')),
        references={'kd': 'configs/kd_lenet5_fashion_mnist.py'},
        description='Fashion-MNIST 32×32, pair (a): LeNet-5 → LeNet-5-half '
        '(no BatchNorm)'),
}
