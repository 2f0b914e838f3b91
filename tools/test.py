"""Evaluate a trained model with the OpenMMLab runner's test loop.

Usage:
    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm}]
        [--debug]

Runs ``test_dataloader`` / ``test_evaluator`` of CONFIG (e.g. a linear
evaluation config of configs/benchmarks/linear/ with the checkpoint its
training wrote, or a retrieval config of configs/benchmarks/retrieval/ with
a self-supervised checkpoint) and prints the metrics.

The checkpoint goes through mmengine's CheckpointLoader, so ``import
mmbank``'s weights-only loading applies (a checkpoint holding arbitrary
objects is refused with UnsafeCheckpointError). Unlike mmengine's
``load_from``, which only warns, it refuses a checkpoint that lacks weights
of the model, has weights of other shapes or holds NaN or infinite weights:
evaluating a partly random or diverged model is never what is wanted. Weights the model does not have (e.g. a
self-supervised head) are ignored with a warning.

A bad checkpoint (missing, empty, truncated, not weights, not fitting),
config value or data set ends the tool with ``error: <sentence>`` on stderr
and exit status 2; ``--debug`` shows the traceback instead.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmbank  # noqa: E402,F401  (registers components, applies fixes)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import MODELS, DefaultScope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine.runner.checkpoint import load_state_dict  # noqa: E402
from mmselfsup.utils import get_model  # noqa: E402

from mmbank.engine.hooks import non_finite_tensors  # noqa: E402
from mmbank.evaluation.checkpoint import (  # noqa: E402
    CheckpointError, check_checkpoint_file, compare_state_dicts,
    read_checkpoint)
from mmbank.utils.cli import (add_debug_argument,  # noqa: E402
                              add_launch_arguments, check_config_file,
                              exit_on_user_error, set_local_rank)
from mmbank.utils.upstream_fixes import (  # noqa: E402
    init_cpu_distributed, use_cpu_distributed_config)


class CheckpointMismatchError(CheckpointError):
    """A checkpoint does not hold the weights a model needs."""


def checkpoint_state_dict(filename: str) -> dict:
    """The state dict of a checkpoint file (``module.`` prefixes removed).

    Loads through mmengine's CheckpointLoader, i.e. weights-only
    (:func:`mmbank.evaluation.checkpoint.read_checkpoint`: a missing,
    empty, truncated or unsafe file raises a ``CheckpointError``).
    """
    checkpoint = read_checkpoint(filename)
    state_dict = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise CheckpointMismatchError(
            f'{filename} is not a checkpoint of model weights (expected a '
            "state dict, or a dict with a 'state_dict' of tensors).")
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }


def check_state_dict(model: torch.nn.Module,
                     state_dict: dict,
                     filename: str = 'the checkpoint') -> list:
    """Refuse a state dict that lacks weights of ``model`` or has weights of
    other shapes.

    Returns:
        list[str]: Keys of ``state_dict`` the model does not have.
    """
    diff = compare_state_dicts(model.state_dict(), state_dict)
    missing, shapes = diff['missing'], diff['misshaped']
    unexpected = diff['unexpected']
    if missing or shapes:
        lines = [f'{filename} does not fit the model of the config:']
        if missing:
            lines.append(f'{len(missing)} weights missing, e.g. '
                         f'{missing[:5]}')
        if shapes:
            lines.append(f'{len(shapes)} of another shape, e.g. '
                         f'{shapes[:3]}')
        lines.append(f'(the checkpoint has keys like '
                     f'{list(state_dict)[:5]}). Is it the checkpoint of '
                     'this config\'s training, e.g. of the linear '
                     'evaluation rather than of the self-supervised run?')
        raise CheckpointMismatchError(' '.join(lines))
    return unexpected


def check_finite(state_dict: dict, filename: str) -> None:
    """Refuse weights holding NaN or inf: a diverged training's checkpoint
    would score a plausible-looking 0 or chance accuracy."""
    bad = non_finite_tensors(state_dict)
    if bad:
        raise CheckpointMismatchError(
            f'{filename} holds NaN or infinite weights ({len(bad)} tensors, '
            f'e.g. {bad[:3]}): its training diverged, there is nothing to '
            'evaluate.')


def build_model_quietly(cfg: Config) -> torch.nn.Module:
    """The config's model, built without a runner (whose log prints the
    whole config), to check a checkpoint against before the run."""
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmengine')):
        return MODELS.build(cfg.model)


def checked_state_dict(model: torch.nn.Module, filename: str) -> dict:
    """The weights of a checkpoint that ``model`` has, after
    :func:`check_state_dict` and :func:`check_finite`."""
    state_dict = checkpoint_state_dict(filename)
    unexpected = check_state_dict(get_model(model), state_dict, filename)
    if unexpected:
        print_log(
            f'Ignoring {len(unexpected)} weights of {filename} the model '
            f'does not have, e.g. {unexpected[:5]}',
            logger='current')
        state_dict = {
            k: v
            for k, v in state_dict.items() if k not in unexpected
        }
    check_finite(state_dict, filename)
    return state_dict


def load_weights(model: torch.nn.Module, filename: str) -> None:
    """Load a checkpoint into ``model`` (:func:`checked_state_dict`)."""
    state_dict = checked_state_dict(model, filename)
    load_state_dict(get_model(model), state_dict, strict=True)
    print_log(f'Loaded {filename}', logger='current')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate a checkpoint on the test set of a config')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    add_launch_arguments(parser)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    set_local_rank(args)
    return args


def build_config(args) -> Config:
    """The config of the run, with the command line applied."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    for key in ('test_dataloader', 'test_evaluator'):
        if cfg.get(key, None) is None:
            raise KeyError(f'{args.config} has no {key}: tools/test.py '
                           'evaluates on the test set of the config.')
    if cfg.get('test_cfg', None) is None:
        cfg.test_cfg = dict()
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = None  # loaded (and checked) by load_weights
    cfg.resume = False
    # mmengine's log processor resolves window_size='global' through
    # runner.iter, which builds the train loop, and so loads the training
    # set, even in a test-only run; a test run has no training window
    log_cfg = cfg.get('log_processor', None)
    if log_cfg is not None and log_cfg.get('custom_cfg'):
        log_cfg.custom_cfg = [
            c for c in log_cfg.custom_cfg
            if c.get('window_size') != 'global'
        ]
    use_cpu_distributed_config(cfg, args.launcher)
    return cfg


def run_test(args) -> dict:
    """Build the runner, load the checkpoint and run the test loop."""
    check_config_file(args.config)
    check_checkpoint_file(args.checkpoint)
    cfg = build_config(args)
    # every checkpoint error comes before the runner logs the config
    state_dict = checked_state_dict(build_model_quietly(cfg),
                                    args.checkpoint)
    init_cpu_distributed(args.launcher)
    runner = Runner.from_cfg(cfg)
    load_state_dict(get_model(runner.model), state_dict, strict=True)
    print_log(f'Loaded {args.checkpoint}', logger='current')
    metrics = runner.test()
    if args.out and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    checkpoint=args.checkpoint,
                    metrics={
                        k: float(v)
                        for k, v in metrics.items()
                    }),
                f,
                indent=2)
    return metrics


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error(args.debug):
        return run_test(args)


if __name__ == '__main__':
    main()
