"""Check that the installed OpenMMLab packages are versions mmbank works with.

mmselfsup 1.0.0 is frozen upstream and accepts only narrow ranges of mmcv and
mmcls; a mismatch otherwise surfaces as an obscure import or runtime error, so
mmbank checks them first and says in one sentence what is wrong.

The ranges have one home, ``install_requires`` in ``setup.cfg``: read from
mmbank's installed metadata, or from ``setup.cfg`` itself in a source
checkout that is not installed. (``requirements/runtime.txt`` pins the
tested set inside those ranges; a test keeps it inside them.)
"""
import configparser
import os.path as osp
from importlib import metadata
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

#: the packages checked at import -> the distributions that provide them
CHECKED_PACKAGES: Dict[str, Tuple[str, ...]] = {
    'torch': ('torch', ),
    'mmengine': ('mmengine', ),
    'mmcv': ('mmcv', 'mmcv-lite'),
    'mmcls': ('mmcls', ),
    'mmselfsup': ('mmselfsup', ),
}

_SETUP_CFG = osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'setup.cfg')


def declared_requirements(setup_cfg: str = _SETUP_CFG) -> List[str]:
    """mmbank's ``install_requires``: from the installed package's
    metadata, else from ``setup_cfg`` (a source checkout)."""
    try:
        return [r for r in metadata.requires('mmbank') or []
                if 'extra ==' not in r]
    except metadata.PackageNotFoundError:
        parser = configparser.ConfigParser()
        parser.read(setup_cfg)
        lines = parser.get('options', 'install_requires', fallback='')
        return [line.split('#')[0].strip() for line in lines.splitlines()
                if line.split('#')[0].strip()]


def required_versions(
    requirements: Optional[Sequence[str]] = None
) -> Dict[str, Tuple[Sequence[str], str]]:
    """``{package: (distribution names, version range)}`` of
    :data:`CHECKED_PACKAGES` from requirement strings (default:
    :func:`declared_requirements`)."""
    by_name = {}
    for line in declared_requirements() if requirements is None \
            else requirements:
        req = Requirement(line)
        # lower bounds first, as people write ranges
        by_name[canonicalize_name(req.name)] = ','.join(sorted(
            (str(spec) for spec in req.specifier),
            key=lambda spec: not spec.startswith('>')))
    out = {}
    for package, dist_names in CHECKED_PACKAGES.items():
        for name in dist_names:
            if canonicalize_name(name) in by_name:
                out[package] = (dist_names, by_name[canonicalize_name(name)])
    return out


class DependencyVersionError(ImportError):
    """An installed package has a version mmbank does not support."""


def installed_version(dist_names: Sequence[str]) -> Optional[str]:
    """Return the installed version of the first of ``dist_names`` found."""
    for name in dist_names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def check_version(package: str, found: Optional[str], spec: str) -> None:
    """Raise :class:`DependencyVersionError` unless ``found`` is in ``spec``.

    Args:
        package (str): The package's name, as shown to the user.
        found (str, optional): The installed version, None if not installed.
        spec (str): The accepted range, e.g. ``'>=2.0.0rc4,<2.1.0'``.
    """
    if found is None:
        raise DependencyVersionError(
            f'mmbank needs {package}{spec}, but {package} is not installed '
            '(pip install -r requirements/runtime.txt).')
    # pre-releases (mmcls 1.0.0rc6) must count as inside the range
    if not SpecifierSet(spec, prereleases=True).contains(
            Version(found), prereleases=True):
        raise DependencyVersionError(
            f'mmbank needs {package}{spec}, but found {package} {found} '
            '(pip install -r requirements/runtime.txt).')


def check_dependencies(
        lookup: Callable[[Sequence[str]], Optional[str]] = installed_version,
        requirements: Optional[Sequence[str]] = None) -> None:
    """Check every package of :func:`required_versions`.

    Args:
        lookup (callable): Maps distribution names to an installed version.
            Defaults to :func:`installed_version`.
        requirements (list[str], optional): Requirement strings. Defaults
            to mmbank's own (:func:`declared_requirements`).
    """
    for package, (dist_names, spec) in required_versions(
            requirements).items():
        check_version(package, lookup(dist_names), spec)
