"""mmseg-scoped configs find mmdfkd's segmentation datasets. (That the
CamVid / NYUv2 teacher configs train: tests/test_configs/test_configs_run.py.)
"""
import subprocess
import sys

from tests.conftest import ROOT
from tests.data_writers import write_camvid


def test_mmseg_scoped_config_finds_bare_type_through_custom_imports(
        tmp_path):
    """In a fresh interpreter, importing mmdfkd only because the config's
    custom_imports says so registers CamVidDataset for mmseg's scope."""
    root = write_camvid(str(tmp_path / 'camvid'))
    cfg_file = tmp_path / 'mmseg_scoped.py'
    cfg_file.write_text(
        "default_scope = 'mmseg'\n"
        "custom_imports = dict(imports=['mmdfkd'])\n"
        f"dataset = dict(type='CamVidDataset', data_root={root!r})\n")
    script = (
        'import sys\n'
        'from mmengine.config import Config\n'
        'from mmengine.registry import DATASETS, DefaultScope\n'
        "assert 'mmdfkd' not in sys.modules\n"
        f'cfg = Config.fromfile({str(cfg_file)!r})\n'
        "with DefaultScope.overwrite_default_scope('mmseg'):\n"
        '    ds = DATASETS.build(cfg.dataset)\n'
        'print(type(ds).__module__, len(ds))\n')
    res = subprocess.run([sys.executable, '-c', script],
                         cwd=ROOT,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout
    assert 'mmdfkd.datasets.camvid 3' in res.stdout
