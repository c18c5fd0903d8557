"""Fixtures for the compatibility-layer tests.

``run_python`` runs code in a fresh interpreter (import order matters for
these fixes) and returns what it printed after ``RESULT:`` as JSON.
``load_standalone`` loads one ``mmdfkd/compat/*.py`` file without importing
the ``mmdfkd`` package, whose ``__init__`` would apply every fix.
"""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest

COMPAT_DIR = Path(__file__).resolve().parents[2] / 'mmdfkd' / 'compat'

# Code run in a subprocess can load a compat module standalone with this.
STANDALONE_SNIPPET = f'''
import importlib.util as _ilu
def load_standalone(name):
    spec = _ilu.spec_from_file_location(
        '_standalone_' + name, {str(COMPAT_DIR)!r} + '/' + name + '.py')
    module = _ilu.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
'''


def _subprocess_env() -> dict:
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    return env


def run_code(code: str, timeout: float = 90) -> Any:
    """Run ``code`` in a fresh interpreter, return its ``RESULT:`` JSON.

    Args:
        code: Python source; it must print one line ``RESULT:<json>``.
        timeout: Seconds before the subprocess is killed (test fails).

    Returns:
        Any: The decoded JSON.
    """
    source = STANDALONE_SNIPPET + 'import json\n' + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, '-c', source],
                          capture_output=True, text=True, timeout=timeout,
                          env=_subprocess_env())
    assert proc.returncode == 0, (
        f'subprocess failed ({proc.returncode}):\n{proc.stdout}\n'
        f'{proc.stderr[-4000:]}')
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('RESULT:')]
    assert len(lines) == 1, f'no single RESULT line in:\n{proc.stdout}'
    return json.loads(lines[0][len('RESULT:'):])


@pytest.fixture
def run_python() -> Callable[..., Any]:
    """The :func:`run_code` helper."""
    return run_code


@pytest.fixture
def load_standalone() -> Callable[[str], ModuleType]:
    """Load ``mmdfkd/compat/<name>.py`` as an isolated module."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(
            '_standalone_' + name, COMPAT_DIR / f'{name}.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
