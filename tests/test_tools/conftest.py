"""Fixtures of the command-line tools tests (the helpers they use are in
tests/tool_runs.py)."""
import pytest

from tests import process
from tests.tool_runs import TINY, run_tool, tool_env, use_zygote


@pytest.fixture(scope='session', name='tool_env')
def tool_env_fixture():
    return tool_env


@pytest.fixture(scope='session', autouse=True)
def tool_zygote():
    """The tool runs of these tests (``run_tool``, ``run_dist_train`` and
    torchrun's workers) forked from one zygote."""
    with use_zygote() as zygote:
        yield zygote


@pytest.fixture(scope='session')
def tool():
    return run_tool


@pytest.fixture(scope='session')
def tiny_options(trained_teacher):
    return [f'model.teacher_ckpt={trained_teacher}', *TINY]


@pytest.fixture
def free_port() -> int:
    return process.free_port()
