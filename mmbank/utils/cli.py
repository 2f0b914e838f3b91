"""How mmbank's evaluation tools end on a user error.

A bad checkpoint, a bad config value or missing data ends the tool with
one line on stderr, ``error: <sentence>``, and exit status 2, not a
traceback; ``--debug`` re-raises the exception instead, with its
traceback. Other exceptions (bugs) always keep their traceback.

Used by ``tools/knn.py``, ``tools/retrieval.py`` and ``tools/test.py``
(``tools/train.py`` shares the launch arguments)::

    parser = argparse.ArgumentParser(...)
    add_launch_arguments(parser)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    set_local_rank(args)
    with exit_on_user_error(args.debug):
        ...
"""
import argparse
import contextlib
import math
import os
import pickle
import sys
from typing import Iterator

#: What a user error raises: mmbank's checkpoint errors are ValueErrors,
#: configs and datasets raise ValueError / KeyError (mmengine's registries:
#: an unknown type), missing files FileNotFoundError (OSError), unreadable
#: pickles UnpicklingError, and mmcls's datasets RuntimeError for missing
#: data ("Cannot find CIFAR10 dataset").
USER_ERRORS = (ValueError, KeyError, OSError, pickle.UnpicklingError,
               RuntimeError)

#: Exit status of a user error (argparse's for a bad command line).
USER_ERROR_EXIT = 2


def positive_int(value: str) -> int:
    """argparse type: an integer >= 1 (refused before anything runs)."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return number


def positive_float(value: str) -> float:
    """argparse type: a finite number > 0 (``nan`` and ``inf`` refused)."""
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(
            f'must be a finite number > 0, got {value}')
    return number


def non_negative_int(value: str) -> int:
    """argparse type: an integer >= 0."""
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {value}')
    return number


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug``: show the traceback of a user error."""
    parser.add_argument(
        '--debug',
        action='store_true',
        help='on an error (bad checkpoint, config value or data), raise it '
        'with its traceback instead of printing one line')


def add_launch_arguments(parser: argparse.ArgumentParser,
                         cfg_options_help: str = '') -> None:
    """Add the arguments every OpenMMLab tool has: ``--cfg-options``,
    ``--launcher`` and ``--local_rank`` (which the older
    ``torch.distributed.launch`` passes); see :func:`set_local_rank`."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs' +
        cfg_options_help)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def set_local_rank(args: argparse.Namespace) -> None:
    """``LOCAL_RANK`` from ``--local_rank`` unless the launcher set it."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))


def check_config_file(filename: str) -> None:
    """``FileNotFoundError('Config not found: <file>')`` for a config file
    that does not exist (mmengine's own message is an errno line)."""
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'Config not found: {filename}')


def error_sentence(err: BaseException) -> str:
    """The message of ``err`` on one line.

    A ``KeyError``'s message is not quoted; a message that is not a
    sentence (a bare key or word) is prefixed with the exception's type.
    """
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(
            err.args[0], str):
        message = err.args[0]
    else:
        message = str(err)
    message = ' '.join(message.split())
    if ' ' not in message:  # e.g. KeyError('labels'): KeyError: 'labels'
        message = ' '.join(str(err).split())
        message = f'{type(err).__name__}: {message}' if message else \
            type(err).__name__
    return message


@contextlib.contextmanager
def exit_on_user_error(debug: bool = False) -> Iterator[None]:
    """Turn a user error (:data:`USER_ERRORS`) into ``error: <sentence>`` on
    stderr and ``SystemExit(2)``, unless ``debug``."""
    try:
        yield
    except USER_ERRORS as err:
        if debug or isinstance(err, (NotImplementedError, RecursionError)):
            raise
        sys.stdout.flush()
        print(f'error: {error_sentence(err)}', file=sys.stderr, flush=True)
        raise SystemExit(USER_ERROR_EXIT) from None
