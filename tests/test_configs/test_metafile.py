"""The model zoo's metafile names existing configs, and lists every config
of configs/membank/ (mmselfsup's model-zoo format)."""
import glob
import os.path as osp

import yaml

from conftest import REPO


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
    for path in glob.glob(osp.join(REPO, 'configs', 'membank', '*.py')):
        name = osp.splitext(osp.basename(path))[0]
        assert name in listed, f'{name} is missing from metafile.yml'
