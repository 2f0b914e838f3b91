"""The model zoo's metafile names existing configs, and lists every config
of configs/membank/ (mmselfsup's model-zoo format)."""
import glob
import os.path as osp
import re
import statistics
import sys

import yaml
from mmengine.config import Config

from conftest import REPO

sys.path.insert(0, osp.join(REPO, '.dev_scripts'))
from sync_docs import METAFILE_RUNS, suite_values  # noqa: E402


def test_metafile_matches_the_configs():
    with open(osp.join(REPO, 'configs', 'membank', 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    (collection, ) = meta['Collections']
    assert osp.exists(osp.join(REPO, collection['README']))
    listed = set()
    for model in meta['Models']:
        assert model['In Collection'] == collection['Name']
        assert osp.exists(osp.join(REPO, model['Config'])), model['Config']
        listed.add(osp.splitext(osp.basename(model['Config']))[0])
        listed.add(model['Name'])
        cfg = Config.fromfile(osp.join(REPO, model['Config']))
        assert model['Metadata']['Epochs'] == cfg.train_cfg.max_epochs, \
            model['Name']
    for path in glob.glob(osp.join(REPO, 'configs', 'membank', '*.py')):
        name = osp.splitext(osp.basename(path))[0]
        assert name in listed, f'{name} is missing from metafile.yml'


def test_metafile_results_are_the_suite_records():
    """Every metric of a suite-measured model is the mean of its committed
    records over the number of seeds the task names."""
    with open(osp.join(REPO, 'configs', 'membank', 'metafile.yml')) as f:
        models = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    checked = 0
    for name, run in METAFILE_RUNS.items():
        for result in models[name]['Results'] or []:
            n = int(re.search(r'mean of (\d+) seeds?', result['Task'])[1])
            if result['Task'].startswith('Weighted kNN'):
                expected = {
                    'Top 1 Accuracy (backbone)':
                    suite_values(run, 'test_top1', 'backbone'),
                    'Top 1 Accuracy (embedding)':
                    suite_values(run, 'test_top1', 'neck')}
            elif result['Task'].startswith('Image Retrieval'):
                expected = {
                    f'{metric} ({label})': suite_values(
                        run, 'test_retrieval', f'{part}/{key}')
                    for part, label in (('backbone', 'backbone'),
                                        ('neck', 'embedding'))
                    for metric, key in (('Recall@1', 'recall@1'),
                                        ('Recall@2', 'recall@2'),
                                        ('Recall@4', 'recall@4'),
                                        ('Recall@8', 'recall@8'),
                                        ('NMI', 'nmi'))}
            else:
                assert result['Task'].startswith('Linear Classification')
                expected = {'Top 1 Accuracy':
                            suite_values(run, 'linear_top1')}
            assert set(result['Metrics']) == set(expected)
            for metric, values in expected.items():
                assert len(values) == n, (name, metric, values)
                assert result['Metrics'][metric] == round(
                    statistics.mean(values), 2), (name, metric)
                checked += 1
    assert checked > 0, 'no suite results in metafile.yml'
