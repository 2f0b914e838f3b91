"""Turn CIFAR-10 image files into the pickles mmcls's CIFAR10 reads.

Usage:
    python tools/prepare_cifar.py ../shared/data/cifar10-jpg.tar.gz data/cifar10
        [--seed 0] [--no-count-check] [--skip-existing]

The source is a tarball or folder with train/<class>/*.jpg and
test/<class>/*.jpg. The output is data/cifar10/cifar-10-batches-py/ (plus a
manifest of MD5 sums), read by the configs' OfflineCIFAR10. Corrupt or
incomplete input stops with an error and leaves nothing behind.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmbank.datasets.converters import (DatasetConversionError,  # noqa: E402
                                        convert_cifar10)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='tarball or folder of images')
    parser.add_argument(
        'out_dir', help='folder to create cifar-10-batches-py/ in')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the train order')
    parser.add_argument(
        '--no-count-check',
        action='store_true',
        help='accept other than 5,000 train / 1,000 test images per class')
    parser.add_argument(
        '--skip-existing',
        action='store_true',
        help='do nothing (exit 0) if the output already exists')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    final = osp.join(args.out_dir, 'cifar-10-batches-py')
    if args.skip_existing and osp.isdir(final):
        print(f'{final} exists, skipping.')
        return 0
    try:
        out = convert_cifar10(
            args.source,
            args.out_dir,
            seed=args.seed,
            check_counts=not args.no_count_check)
    except (DatasetConversionError, FileExistsError) as err:
        # reading stops mid-line of the progress bar (stdout, no newline
        # until it ends): end that line so the error starts on its own
        print(flush=True)
        print(f'error: {err}', file=sys.stderr, flush=True)
        return 1
    print(f'Wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
