"""Evaluate a checkpoint with the MMEngine runner (the student of a
data-free config, or any mmpretrain / mmseg model). Flags follow mmseg's."""
import argparse
import os
import os.path as osp

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction

from mmdfkd.compat.distributed import destroy_process_group_cleanly
from mmdfkd.engine.strict_load import build_runner


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out', help='dump the predictions to a pickle file (DumpResults)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} not found')
    cfg.load_from = args.checkpoint
    if args.out is not None:
        cfg.test_evaluator = [
            *(cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else
              [cfg.test_evaluator]),
            dict(type='DumpResults', out_file_path=args.out)
        ]
    try:
        build_runner(cfg).test()  # the checkpoint is loaded strictly
    except BaseException:
        # the other ranks may wait in another collective: end without a
        # barrier so that the launcher stops the job instead of hanging
        destroy_process_group_cleanly(synchronize=False)
        raise
    destroy_process_group_cleanly()


if __name__ == '__main__':
    main()
