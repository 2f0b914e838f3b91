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


def _setup_cfg_requirements():
    import configparser
    import os.path as osp
    parser = configparser.ConfigParser()
    parser.read(osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'setup.cfg'))
    return [line.split('#')[0].strip() for line in parser.get(
        'options', 'install_requires').splitlines()
        if line.split('#')[0].strip()]


def test_the_ranges_have_one_home_setup_cfg(monkeypatch):
    from importlib import metadata

    from mmbank.utils import dependency_check
    from_metadata = dependency_check.required_versions()
    assert from_metadata['mmcv'] == (('mmcv', 'mmcv-lite'),
                                     '>=2.0.0rc4,<2.1.0')
    assert set(from_metadata) == set(dependency_check.CHECKED_PACKAGES)

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    # a source checkout that is not installed reads setup.cfg itself
    monkeypatch.setattr(dependency_check.metadata, 'requires', not_installed)
    assert dependency_check.declared_requirements() == \
        _setup_cfg_requirements()
    assert dependency_check.required_versions() == from_metadata


def test_the_tested_pins_lie_inside_the_ranges():
    import os.path as osp

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    ranges = {canonicalize_name(Requirement(r).name): Requirement(r)
              for r in _setup_cfg_requirements()}
    runtime = osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'requirements', 'runtime.txt')
    pins = [line.split('#')[0].strip() for line in open(runtime)
            if line.split('#')[0].strip()]
    assert len(pins) >= 8
    exact = 0
    for line in pins:
        pin = Requirement(line)
        name = canonicalize_name(pin.name)
        assert name in ranges, f'{pin.name} pinned but not required'
        specs = list(pin.specifier)
        if len(specs) == 1 and specs[0].operator == '==':
            exact += 1
            assert ranges[name].specifier.contains(
                specs[0].version, prereleases=True), \
                f'{line} is outside setup.cfg\'s {ranges[name]}'
    assert exact >= 7  # torch, torchvision and the OpenMMLab set
