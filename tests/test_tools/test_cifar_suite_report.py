"""The accuracy suite's and sweep's bookkeeping, on made-up finished runs
(the runs themselves are benchmarks, not tests)."""
import json
import os
import os.path as osp
import sys
from argparse import Namespace

import pytest

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools',
                            'benchmarks'))
import cifar_suite  # noqa: E402
import cifar_sweep  # noqa: E402


def _knn(backbone, neck):
    return dict(accuracy=dict(backbone={'200': dict(top1=backbone)},
                              neck={'200': dict(top1=neck)}))


def _finished(work_dir, name, seed, backbone, neck, iter_seconds,
              linear=None, logged=((1, 20), (2, 59))):
    """A run directory as one_run leaves it, with mmengine's scalars."""
    run = osp.join(work_dir, f'{name}_seed{seed}')
    vis = osp.join(run, '20260101_000000', 'vis_data')
    os.makedirs(vis)
    with open(osp.join(vis, 'scalars.json'), 'w') as f:
        for epoch, it in logged:
            f.write(json.dumps(dict(loss=1.0, time=iter_seconds,
                                    epoch=epoch, iter=it, step=it)) + '\n')
    config, epochs, views = cifar_suite.RUNS[name][:3]
    with open(osp.join(run, 'done.json'), 'w') as f:
        json.dump(dict(name=name, seed=seed, config=config, epochs=epochs,
                       views=views, knn=_knn(backbone, neck), curve={},
                       train_seconds=600.0, mean_iter_seconds=iter_seconds),
                  f)
    if linear is not None:
        with open(osp.join(run, 'linear.json'), 'w') as f:
            json.dump(dict(top1=linear), f)


def test_suite_table_has_means_spreads_linear_and_epoch_time(tmp_path):
    pytest.importorskip('matplotlib')
    work = str(tmp_path)
    _finished(work, 'npid', 0, 30.0, 29.0, 0.5, linear=20.0)
    _finished(work, 'npid', 1, 32.0, 31.0, 0.5, linear=22.0)
    _finished(work, 'vanilla', 0, 33.0, 32.5, 0.25)
    # epochs logged at iterations 20 and 59: 39 iterations per epoch
    assert cifar_suite.scalars(osp.join(work, 'npid_seed0'))[2] == 39
    cifar_suite.report(Namespace(work_dir=work))
    rows = open(osp.join(work, 'results.md')).read().splitlines()
    npid = next(r for r in rows if r.startswith("| mmselfsup's NPID |"))
    cells = [c.strip() for c in npid.split('|')[1:-1]]
    # mean ± sample std of 30 and 32; time per epoch 0.5 s x 39 steps
    assert cells[4:8] == ['31.00 ± 1.41 (n=2)', '30.00 ± 1.41 (n=2)',
                          '21.00 ± 1.41 (n=2)', '20']
    assert cells[-1] == '`python tools/benchmarks/cifar_suite.py --only npid`'
    vanilla = next(r for r in rows if r.startswith('| vanilla bank'))
    assert '| 33.00 | 32.50 | - | 10 |' in vanilla  # no linear run
    assert osp.exists(osp.join(work, 'knn_curves.png'))


def test_sweep_table_compares_each_variant_with_its_reference(tmp_path):
    work = str(tmp_path)
    for name, b, e in (('full-lr-0.03', 26.0, 24.0),
                       ('full-lr-0.003', 35.5, 35.0)):
        run = osp.join(work, f'{name}_seed0')
        os.makedirs(run)
        with open(osp.join(run, 'done.json'), 'w') as f:
            json.dump(dict(name=name, seed=0, knn=_knn(b, e)), f)
    cifar_sweep.report(work)
    rows = open(osp.join(work, 'sweep.md')).read().splitlines()
    assert len(rows) == 4  # header, rule, two variants in table order
    assert rows[2].startswith('| full-lr-0.03 |')
    assert rows[3].startswith('| full-lr-0.003 |')
    assert rows[3].endswith('| 35.50 | 35.00 | +9.50 / +11.00 '
                            '(full-lr-0.03) |')
    # every variant names its learning rate explicitly
    for variant in cifar_sweep.VARIANTS.values():
        assert any(o.startswith(cifar_sweep.LR) for o in variant['options'])
