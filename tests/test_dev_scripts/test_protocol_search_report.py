"""The protocol search's report (the runs themselves are benchmarks): the
frontier's extra points from the comparison's NPID runs, and the floors
table over a records folder that also holds retrieval floors."""
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..',
                            '.dev_scripts'))
import protocol_search  # noqa: E402


def _write(folder, name, **rec):
    with open(folder / f'{name}.json', 'w') as f:
        json.dump(dict(name=name, **rec), f)


def test_suite_points_take_minutes_from_step_times(tmp_path):
    curve = {'knn/backbone_top1_k200': {'10': 30.0, '300': 54.0}}
    _write(tmp_path, 'npid-4x_seed0', run='npid-4x', seed=0, epochs=300,
           config='configs/npid/npid_resnet18-std-w32_1xb128-coslr-300e_'
           'cifar10-10k.py', mean_step_seconds=0.5, curve=curve)
    # another protocol's NPID and the method are not frontier points
    _write(tmp_path, 'npid-0to4_seed0', run='npid-0to4', seed=0, epochs=75,
           config='configs/npid/npid_resnet18-std-w32_1xb128-coslr-75e_'
           'cifar10-0to4.py', mean_step_seconds=0.5, curve=curve)
    _write(tmp_path, 'full_seed0', run='full', seed=0, epochs=75,
           config='configs/ablations/membank-full_resnet18-std-w32_'
           '1xb128x4-coslr-75e_cifar10-10k.py', mean_step_seconds=0.7,
           curve=curve)
    _write(tmp_path, 'npid-b32_seed1', run='npid-b32', seed=1, epochs=75,
           config='configs/npid/npid_resnet18-std-w32_1xb32-coslr-75e_'
           'cifar10-10k.py', mean_step_seconds=0.16, curve=curve)
    points = protocol_search.suite_points(str(tmp_path))
    # 0.5 s x 78 steps of 128 in 10,000 samples x 300 epochs = 195 min;
    # 0.16 s x 312 steps of 32 x 75 epochs = 62.4 min
    assert sorted(points) == [('NPID b128 300e, seed 0', 195.0, 54.0),
                              ('NPID b32 75e, seed 1', 62.4, 54.0)]


def test_floors_table_lists_knn_floors_only():
    folder = osp.join(protocol_search.REPO, 'docs', 'records', 'floors')
    names = os.listdir(folder)
    knn = [n for n in names if n.startswith('npid-') and n.endswith('.json')]
    # the folder holds other floors (retrieval) that the table must skip
    assert knn and len(knn) < len([n for n in names if n.endswith('.json')])
    rows = protocol_search.floors_table().splitlines()
    assert [c.strip() for c in rows[0].split('|')[1:3]] == ['backbone',
                                                           'memory']
    assert len(rows) == 2 + len(knn)
