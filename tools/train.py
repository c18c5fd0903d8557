"""Train with the MMEngine runner: data-free distillation or plain
mmpretrain / mmseg training (e.g. a teacher). Flags follow mmseg's."""
import argparse
import logging
import os
import os.path as osp
import sys
from typing import Optional

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmdfkd.compat.distributed import destroy_process_group_cleanly
from mmdfkd.engine.amp import enable_amp
from mmdfkd.engine.interrupt import interrupt_message, was_interrupted
from mmdfkd.engine.preflight import preflight
from mmdfkd.engine.resume import check_resumable, enable_resume
from mmdfkd.engine.strict_load import build_runner
from mmdfkd.engine.work_dir import bind_pool_root, check_work_dir
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir '
        'automatically')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        default=False,
        help='start a new run in a work dir that holds an earlier run: '
        'its checkpoints, last_checkpoint and exports are deleted first '
        '(without it, such a start is refused)')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (fp16 with loss '
        'scaling on GPUs, bf16 autocast on CPUs)')
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
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or
    # --local_rank (older); torchrun sets LOCAL_RANK.
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

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    # a disk pool's shards go into the work dir unless the config says
    bind_pool_root(cfg)

    # missing data folder, teacher weights or a class mismatch: fail now,
    # before the runner builds anything
    preflight(cfg)
    # an earlier run's checkpoints and export: refused unless --overwrite
    # (only global rank 0 deletes them)
    check_work_dir(cfg.work_dir, resume=args.resume,
                   overwrite=args.overwrite,
                   remove=os.environ.get('RANK', '0') == '0')
    if args.amp:
        enable_amp(cfg)
    if args.resume:
        # no checkpoint, or one of another model / optimiser: fail now
        check_resumable(cfg.work_dir, cfg)
        enable_resume(cfg)
    try:
        health = train(cfg)
    except BaseException as e:
        # the other ranks may wait in another collective: end without a
        # barrier so that the launcher stops the job instead of hanging
        destroy_process_group_cleanly(synchronize=False)
        if was_interrupted(e):
            # a short report instead of a traceback (and, during a
            # checkpoint save, instead of MMEngine's config dump)
            print(interrupt_message(e, cfg.work_dir), file=sys.stderr)
            sys.exit(130)
        raise
    # after train() returned, nothing live holds the runner's DDP models
    destroy_process_group_cleanly()
    if health is None or health['healthy']:
        print_log(f'work_dir: {cfg.work_dir}', logger='current',
                  level=logging.INFO)
    else:  # the last line says that this run is not a success
        print_log(f'work_dir: {cfg.work_dir}; training health: FAILED: ' +
                  '; '.join(health['problems']), logger='current',
                  level=logging.WARNING)


def train(cfg: Config) -> Optional[dict]:
    """Train; return the collapse monitor's verdict (None without one)."""
    # load_from, when set, is loaded strictly (MMEngine's is not)
    runner = build_runner(
        cfg, None if 'runner_type' not in cfg else RUNNERS.build)
    runner.train()
    return runner.message_hub.get_info('training_health')


if __name__ == '__main__':
    main()
