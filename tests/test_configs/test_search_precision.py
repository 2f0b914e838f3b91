"""Which configs search neighbours exactly: the CIFAR-10 CPU protocols,
whose published runs, curves and stand-in retrieval numbers were computed
with the exact (fixed-point float64) search, keep it; every other config
(ImageNet, STL-10, CUB, Cars, SOP, the paper-scale CIFAR ones) takes the
float32 default."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO

SEARCHES = ('HardNegativeMergeHook', 'KNNAccuracy', 'RetrievalMetric')
RUN_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def searches(value) -> list:
    """Every merge hook or kNN / retrieval metric dict in a config value."""
    if isinstance(value, dict):
        found = [value] if value.get('type') in SEARCHES else []
        return found + [d for v in value.values() for d in searches(v)]
    if isinstance(value, (list, tuple)):
        return [d for v in value for d in searches(v)]
    return []


def cpu_protocol(rel: str) -> bool:
    """The CIFAR-10 CPU protocols (10k and the superseded 5k, with their
    class-split stand-ins, the stand-in's retrieval configs and the
    protocol search's base)."""
    return 'cifar10-' in osp.basename(rel) or \
        rel.startswith(osp.join('configs', 'protocol_search'))


@pytest.mark.parametrize('rel', RUN_CONFIGS)
def test_published_protocols_search_exactly_others_fast(rel):
    cfg = Config.fromfile(osp.join(REPO, rel), import_custom_modules=False)
    # what runs: the hooks and evaluators (not variables such as the
    # runtime's unused merge_hook)
    found = searches([
        cfg.get(key) for key in ('custom_hooks', 'val_evaluator',
                                 'test_evaluator')
    ])
    want = cpu_protocol(rel)
    for search in found:
        assert search.get('exact', False) is want, (rel, search)
