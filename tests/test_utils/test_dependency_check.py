import subprocess
import sys

import pytest

from mmbank.utils import (DependencyVersionError, check_dependencies,
                          check_version)


def test_check_version_accepts_ranges_and_prereleases():
    check_version('mmcls', '1.0.0rc6', '>=1.0.0rc6,<1.1.0')
    check_version('mmcv', '2.0.1', '>=2.0.0rc4,<2.1.0')


def test_wrong_version_gives_one_clear_sentence():
    with pytest.raises(DependencyVersionError) as err:
        check_version('mmcv', '2.1.0', '>=2.0.0rc4,<2.1.0')
    assert str(err.value).startswith(
        'mmbank needs mmcv>=2.0.0rc4,<2.1.0, but found mmcv 2.1.0')
    with pytest.raises(DependencyVersionError, match='not installed'):
        check_version('mmselfsup', None, '>=1.0.0,<1.1.0')


def test_check_dependencies_uses_lookup():
    versions = {'torch': '2.14.1', 'mmengine': '0.10.7', 'mmcv': '2.0.1',
                'mmcls': '1.2.0', 'mmselfsup': '1.0.0'}

    def lookup(names):
        return versions[names[0]]

    with pytest.raises(DependencyVersionError,
                       match='found mmcls 1.2.0'):
        check_dependencies(lookup)
    versions['mmcls'] = '1.0.0rc6'
    check_dependencies(lookup)


def test_import_mmbank_with_a_wrong_mmcv_fails_with_the_sentence():
    code = (
        'import importlib.metadata as m\n'
        'real = m.version\n'
        "m.version = lambda n: '2.1.0' if n in ('mmcv', 'mmcv-lite') "
        'else real(n)\n'
        'import mmbank\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert ('DependencyVersionError: mmbank needs mmcv>=2.0.0rc4,<2.1.0, '
            'but found mmcv 2.1.0') in proc.stderr
