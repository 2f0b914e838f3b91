""".dev_scripts/campaign.py: skip finished runs, resume interrupted
ones, record what a table needs; training itself is faked here."""
import importlib.util
import json
import os
import os.path as osp
import sys

import pytest

from conftest import REPO

sys.path.insert(0, osp.join(REPO, '.dev_scripts'))
import campaign  # noqa: E402


def _tool_parser(path):
    """The ``parse_args`` of a tool script, to check the commands the
    campaign builds against the real command line."""
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(path))[0], osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_args


@pytest.fixture
def fake_train(monkeypatch):
    """Replace the subprocesses: 'training' writes a checkpoint pointer and
    mmengine-style scalars (2 epochs, kNN after each); a test read's
    command is parsed by the real tool's parser (a bad one raises
    SystemExit)."""
    calls = []

    def fake_run(cmd, log_path, env):
        calls.append(list(cmd))
        if cmd[0] in ('tools/knn.py', 'tools/retrieval.py'):  # a test read
            _tool_parser(cmd[0])(cmd[1:])
            out = cmd[cmd.index('--out') + 1]
            result = dict(accuracy=dict(
                backbone={'200': dict(top1=47.0, top5=90.0)})) \
                if cmd[0] == 'tools/knn.py' else dict(results=dict(
                    backbone={'recall@1': 60.0, 'nmi': 20.0}))
            with open(out, 'w') as f:
                json.dump(result, f)
            return
        work = cmd[cmd.index('--work-dir') + 1]
        if 'fail' in work:
            raise RuntimeError('training failed')
        # resumed from another run's checkpoint: epochs 3-4
        e = 2 if cmd[-1].endswith('.pth') else 0
        vis = osp.join(work, '20260101_000000', 'vis_data')
        os.makedirs(vis, exist_ok=True)
        with open(osp.join(vis, 'scalars.json'), 'w') as f:
            for rec in [
                    dict(loss=3.0, time=0.5, epoch=e + 1, iter=10, step=10),
                    {'knn/backbone_top1_k200': 40.0 + e, 'step': e + 1},
                    dict(loss=2.0, time=0.7, epoch=e + 2, iter=20, step=20),
                    {'knn/backbone_top1_k200': 45.5 + e, 'step': e + 2},
                    {'retrieval/neck/nmi': 12.5, 'step': e + 2},
            ]:
                f.write(json.dumps(rec) + '\n')
        with open(osp.join(work, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(work, f'epoch_{e + 2}.pth'))

    monkeypatch.setattr(campaign, '_run', fake_run)
    return calls


def test_record_skip_and_resume(tmp_path, fake_train):
    work, records = str(tmp_path / 'work'), str(tmp_path / 'records')
    run = campaign.Run('a', 'configs/x.py', ['train_cfg.max_epochs=2'],
                       seed=3, meta=dict(num_train=10))
    rec = campaign.train_and_record(run, work, records)
    assert fake_train[0][:2] == ['tools/train.py', 'configs/x.py']
    assert 'randomness.seed=3' in fake_train[0]
    assert '--resume' not in fake_train[0]
    # the kNN monitor's top-1 and a retrieval monitor's scores, per epoch
    assert rec['curve'] == {'knn/backbone_top1_k200': {1: 40.0, 2: 45.5},
                            'retrieval/neck/nmi': {2: 12.5}}
    assert rec['mean_step_seconds'] == pytest.approx(0.6)
    assert rec['last_epoch'] == 2 and rec['num_train'] == 10
    assert rec['command'] == ('python tools/train.py configs/x.py '
                              '--cfg-options randomness.seed=3 '
                              'train_cfg.max_epochs=2')
    with open(osp.join(records, 'a.json')) as f:
        assert json.load(f)['name'] == 'a'
    # finished: nothing runs again
    campaign.train_and_record(run, work, records)
    assert len(fake_train) == 1
    # interrupted: a checkpoint but no record and no 'trained' marker
    os.remove(osp.join(records, 'a.json'))
    os.remove(osp.join(work, 'a', 'trained.json'))
    campaign.train_and_record(run, work, records)
    assert fake_train[1][-1] == '--resume'


def test_parallel_campaign_goes_on_after_a_failure(tmp_path, fake_train):
    runs = [campaign.Run(n, 'configs/x.py') for n in ('r1', 'fail', 'r2')]
    seen = []
    recs = campaign.run_campaign(runs, str(tmp_path / 'w'),
                                 str(tmp_path / 'r'), parallel=2,
                                 on_record=lambda r: seen.append(r['name']))
    assert [r and r['name'] for r in recs] == ['r1', None, 'r2']
    assert sorted(seen) == ['r1', 'r2']
    with pytest.raises(ValueError, match='unique'):
        campaign.run_campaign(runs[:1] * 2, str(tmp_path), str(tmp_path))


def test_copied_work_dir_uses_its_own_checkpoint(tmp_path):
    work = tmp_path / 'copy'
    work.mkdir()
    (work / 'epoch_3.pth').write_bytes(b'x')
    (work / 'last_checkpoint').write_text('/elsewhere/original/epoch_3.pth')
    assert campaign.last_checkpoint(str(work)) == str(work / 'epoch_3.pth')


def test_adopted_run_keeps_its_log_wall_time(tmp_path, fake_train):
    work = tmp_path / 'w' / 'manual'
    work.mkdir(parents=True)
    (work / 'train.out').write_text(
        '11/24 00:01:41 - mmengine - INFO - start\nno stamp here\n'
        '11/24 01:03:11 - mmengine - INFO - Epoch(val) [75][20/20]\n')
    run = campaign.Run('manual', 'configs/x.py')
    campaign.adopt(run, str(tmp_path / 'w'))
    rec = campaign.train_and_record(run, str(tmp_path / 'w'),
                                    str(tmp_path / 'r'))
    assert fake_train == []  # nothing trained again
    assert rec['train_minutes'] == pytest.approx(61.5)
    assert rec['adopted'] is True and rec['resumed'] is False


def test_adopted_resumed_run_sums_its_logs(tmp_path, fake_train):
    work = tmp_path / 'w' / 'manual'
    work.mkdir(parents=True)
    (work / 'a.log').write_text(
        '11/24 20:00:00 - mmengine - INFO - start\n'
        '11/24 20:30:00 - mmengine - INFO - stop\n')
    (work / 'b.log').write_text(  # the log file's stamps carry the year
        '2026/11/24 22:00:00 - mmengine - INFO - resume\n'
        '2026/11/24 22:15:30 - mmengine - INFO - end\n')
    run = campaign.Run('manual', 'configs/x.py')
    campaign.adopt(run, str(tmp_path / 'w'), ['a.log', 'b.log'],
                   source='tuning/k2')
    rec = campaign.train_and_record(run, str(tmp_path / 'w'),
                                    str(tmp_path / 'r'))
    assert fake_train == []
    # 30 + 15.5 minutes, not the 2 h 15 from the first stamp to the last
    assert rec['train_minutes'] == pytest.approx(45.5)
    assert rec['adopted'] == 'tuning/k2' and rec['resumed'] is True


def test_merge_purity_from_the_hooks_message_hub_figures(tmp_path):
    """Read from the last checkpoint's message hub, where the merge hook
    logs one value a merge (NaN while nothing is merged), not from log
    text."""
    import torch
    from mmengine.logging import MessageHub
    hub = MessageHub('purity-test')
    for epoch, same in ((38, 0.692), (39, float('nan')), (40, 0.71)):
        hub.update_scalar('train/merge_epoch', epoch)
        hub.update_scalar('train/merge_same_class', same)
    torch.save(dict(meta=dict(epoch=40), state_dict={},
                    message_hub=hub.state_dict()), tmp_path / 'epoch_40.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_40.pth'))
    assert campaign.merge_purity(str(tmp_path)) == {38: 69.2, 40: 71.0}
    assert campaign.merge_purity(str(tmp_path / 'missing')) == {}


def test_merge_figures_on_near_duplicates(tmp_path):
    """With known copies: precision and recall at each merge, the copies'
    similarity after every epoch (from the first), in %."""
    import torch
    from mmengine.logging import MessageHub
    hub = MessageHub('copies-test')
    for epoch in (1, 2, 3):
        hub.update_scalar('train/copy_pair_similarity', 0.5 + 0.1 * epoch)
    for epoch, precision, recall in ((2, float('nan'), 0.0),
                                     (3, 0.25, 0.125)):
        hub.update_scalar('train/merge_epoch', epoch)
        hub.update_scalar('train/merge_copy_precision', precision)
        hub.update_scalar('train/merge_copy_recall', recall)
    torch.save(dict(meta=dict(epoch=3), state_dict={},
                    message_hub=hub.state_dict()), tmp_path / 'epoch_3.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    assert campaign.merge_figures(str(tmp_path)) == dict(
        merge_copy_precision={3: 25.0},
        merge_copy_recall={2: 0.0, 3: 12.5},
        copy_pair_similarity={1: 60.0, 2: 70.0, 3: 80.0})
    assert campaign.merge_purity(str(tmp_path)) == {}
    # resumed at epoch 35 from a run without the hook: the three values
    # are epochs 36-38, not 1-3
    torch.save(dict(meta=dict(epoch=38), state_dict={},
                    message_hub=hub.state_dict()), tmp_path / 'epoch_3.pth')
    assert campaign.merge_figures(str(tmp_path))['copy_pair_similarity'] \
        == {36: 60.0, 37: 70.0, 38: 80.0}


def test_final_read_on_the_test_set_knn_or_retrieval(tmp_path, fake_train):
    work, records = str(tmp_path / 'work'), str(tmp_path / 'records')
    knn_run = campaign.Run('k', 'configs/x.py', ['a.b=1'], test=True)
    rec = campaign.train_and_record(knn_run, work, records)
    knn_cmd = fake_train[1]
    assert knn_cmd[:3] == ['tools/knn.py', 'configs/x.py',
                           osp.join(work, 'k', 'epoch_2.pth')]
    assert knn_cmd[-2:] == ['--cfg-options', 'a.b=1']
    assert rec['test_top1'] == dict(backbone=47.0)
    # a run without options passes no empty --cfg-options (knn.py's parser
    # refuses one)
    campaign.train_and_record(campaign.Run('plain', 'configs/x.py',
                                           test=True), work, records)
    assert '--cfg-options' not in fake_train[3]
    del fake_train[2:]
    ret_run = campaign.Run('r', 'configs/y.py', test=True,
                           retrieval_config='configs/r.py')
    rec = campaign.train_and_record(ret_run, work, records)
    assert fake_train[3][:2] == ['tools/retrieval.py', 'configs/r.py']
    assert rec['test_retrieval'] == dict(backbone={'recall@1': 60.0,
                                                   'nmi': 20.0})
    assert 'test_top1' not in rec
    # both recorded: nothing runs again
    for run in (knn_run, ret_run):
        campaign.train_and_record(run, work, records)
    assert len(fake_train) == 4
    # a record trained without its test read gets only the read later
    os.remove(osp.join(work, 'r', 'retrieval_test.json'))
    rec = campaign.train_and_record(
        campaign.Run('r', 'configs/y.py', test=False), work, records)
    with open(osp.join(records, 'r.json'), 'w') as f:
        json.dump({k: v for k, v in rec.items() if k != 'test_retrieval'},
                  f)
    campaign.train_and_record(ret_run, work, records)
    assert [c[0] for c in fake_train[4:]] == ['tools/retrieval.py']


def test_validation_retrieval_read(tmp_path, fake_train):
    work, records = str(tmp_path / 'work'), str(tmp_path / 'records')
    run = campaign.Run('v', 'configs/y.py', retrieval_config='configs/r.py',
                       val_retrieval=True)
    rec = campaign.train_and_record(run, work, records)
    # the real parser accepted the command; the validation split, not test
    read = fake_train[1]
    assert read[:3] == ['tools/retrieval.py', 'configs/r.py',
                        osp.join(work, 'v', 'epoch_2.pth')]
    assert read[read.index('--split') + 1] == 'val'
    assert read[read.index('--out') + 1] == osp.join(work, 'v',
                                                     'retrieval_val.json')
    assert rec['val_retrieval'] == dict(backbone={'recall@1': 60.0,
                                                  'nmi': 20.0})
    assert 'test_retrieval' not in rec and len(fake_train) == 2
    # without a retrieval config there is nothing to read: refused before
    # anything trains
    with pytest.raises(ValueError, match='retrieval_config'):
        campaign.Run('w', 'configs/y.py', val_retrieval=True)


def test_branched_runs_share_the_first_epochs(tmp_path, fake_train):
    work, records = str(tmp_path / 'work'), str(tmp_path / 'records')
    first = campaign.Run('first2e', 'configs/x.py',
                         ['train_cfg.max_epochs=2'])
    a, b = (campaign.Run(n, 'configs/y.py', [f'opt={n}'], branch_from=first)
            for n in ('a', 'b'))
    rec = campaign.train_and_record(a, work, records)
    shared = osp.join(work, 'first2e', 'epoch_2.pth')
    assert [c[c.index('--work-dir') + 1] for c in fake_train] == [
        osp.join(work, 'first2e'),
        osp.join(work, 'a')]
    assert fake_train[1][-2:] == ['--resume', shared]
    # the shared epochs' monitor points, then the run's own
    assert rec['curve']['knn/backbone_top1_k200'] == {1: 40.0, 2: 45.5,
                                                      3: 42.0, 4: 47.5}
    assert rec['last_epoch'] == 4
    assert rec['branched_from']['name'] == 'first2e'
    assert rec['branched_from']['checkpoint'] == 'epoch_2.pth'
    # the second branch trains only its own epochs; its minutes count the
    # shared ones
    with open(osp.join(work, 'first2e', 'trained.json'), 'w') as f:
        json.dump(dict(seconds=600.0, resumed=False), f)
    rec = campaign.train_and_record(b, work, records)
    assert len(fake_train) == 3 and fake_train[2][-1] == shared
    assert rec['train_minutes'] == pytest.approx(10.0, abs=0.01)
    # an interrupted branch resumes from its own checkpoint
    os.remove(osp.join(records, 'b.json'))
    os.remove(osp.join(work, 'b', 'trained.json'))
    campaign.train_and_record(b, work, records)
    assert fake_train[3][-1] == '--resume'


def test_parallel_branches_train_the_shared_epochs_once(tmp_path,
                                                         fake_train):
    first = campaign.Run('first', 'configs/x.py')
    runs = [campaign.Run(n, 'configs/y.py', branch_from=first)
            for n in ('a', 'b', 'c')]
    recs = campaign.run_campaign(runs, str(tmp_path / 'w'),
                                 str(tmp_path / 'r'), parallel=3)
    assert all(r['branched_from']['name'] == 'first' for r in recs)
    trained = [c[c.index('--work-dir') + 1] for c in fake_train]
    assert sorted(osp.basename(w) for w in trained) == ['a', 'b', 'c',
                                                        'first']


def test_steps_per_epoch_from_the_option_then_the_config_name():
    npid = dict(config='configs/npid/npid_resnet18_1xb128-coslr-75e.py')
    assert campaign.steps_per_epoch(npid) == 10000 // 128 == 78
    full = dict(config='configs/membank/membank_r18_1xb128x2-coslr-75e.py',
                options=['train_dataloader.dataset.pipeline.0.num_views=4',
                         'train_dataloader.batch_size=32'])
    assert campaign.steps_per_epoch(full) == 312  # the option wins
    steps = dict(config='configs/membank/membank_r18_1xb32x4-coslr-75e.py')
    assert campaign.steps_per_epoch(steps, num_train=5000) == 156
    assert campaign.steps_per_epoch(dict(config='x.py'), 100, 10) == 10
