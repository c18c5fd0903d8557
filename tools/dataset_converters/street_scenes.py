"""Write mmdfkd's synthetic street scenes in CamVid's SegNet layout.

    python tools/dataset_converters/street_scenes.py data/street_scenes

writes ``{train,val,test}/scene_<i>.png`` and ``{train,val,test}annot/``
label PNGs (CamVid's 11 classes, 11 = void), readable by
``mmdfkd.CamVidDataset`` and ``configs/_base_/datasets/street_scenes.py``.
"""
import argparse

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmdfkd.datasets.street_scenes import write_street_scenes


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write synthetic street scenes (CamVid SegNet layout)')
    parser.add_argument('out_dir', help='output dataset root')
    parser.add_argument('--num-train', type=int, default=400)
    parser.add_argument('--num-val', type=int, default=80)
    parser.add_argument('--num-test', type=int, default=80)
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(64, 64),
        metavar=('H', 'W'),
        help='image height and width (default: 64 64)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    counts = write_street_scenes(
        args.out_dir,
        num_train=args.num_train,
        num_val=args.num_val,
        num_test=args.num_test,
        size=tuple(args.size),
        seed=args.seed)
    print(f'wrote {counts} street scenes to {args.out_dir}')


if __name__ == '__main__':
    main()
