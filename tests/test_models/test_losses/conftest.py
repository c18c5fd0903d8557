"""Fixtures shared by the loss-term tests."""
import os
import sys

import pytest

# Make the helper module importable however pytest imports this folder.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import toy_nets  # noqa: E402


@pytest.fixture(scope='session')
def two_process_results(tmp_path_factory):
    """Per-rank values and generator gradients of the global-batch terms,
    computed once in a 2-process gloo group (see ``toy_nets``)."""
    out_dir = tmp_path_factory.mktemp('two_process')
    return toy_nets.run_two_process_terms(str(out_dir))
