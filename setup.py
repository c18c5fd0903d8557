"""Install mmdfkd.

``install_requires`` holds loose ranges so that an existing (e.g. CUDA) torch
is kept; the tested, exact set lives in ``requirements/constraints.txt`` and
is what the README's commands install with ``-c``.
"""
from setuptools import find_packages, setup


def read_version() -> str:
    scope: dict = {}
    with open('mmdfkd/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmdfkd',
    version=read_version(),
    description='Data-free knowledge distillation for the OpenMMLab stack',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmdfkd', 'mmdfkd.*']),
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.0',
        'torchvision>=0.15',
        'mmengine>=0.10.4,<0.11',
        'mmsegmentation>=1.2.2,<1.3',
        'mmpretrain>=1.2.0,<1.3',
        'numpy<2.4',
        'setuptools<81',
        'ftfy',
        'regex',
        'scikit-learn',
        'kornia>=0.7',
    ],
    extras_require={
        # mmcv is declared apart so that a full (compiled) mmcv already
        # installed is kept; the Makefile installs mmcv-lite when none is.
        'lite': ['mmcv-lite>=2.0.0rc4,<2.2.0'],
        # pytest-xdist for `make test`'s workers, flwr for the Flower
        # end-to-end test (tests/test_federated), torchao for
        # tools/quantize.py's tests
        'tests': ['pytest', 'pytest-xdist', 'tensorboard',
                  'flwr>=1.41,<1.42', 'torchao>=0.18,<0.19'],
        # tools/quantize.py: PT2E quantization (mmdfkd.engine.quantization)
        'quant': ['torchao>=0.18,<0.19'],
        # FedGen's Flower apps (mmdfkd/federated/flower)
        'fed': ['flwr>=1.41,<1.42'],
    },
    zip_safe=False,
)
