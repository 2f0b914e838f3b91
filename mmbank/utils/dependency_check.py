"""Check that the installed OpenMMLab packages are versions mmbank works with.

mmselfsup 1.0.0 is frozen upstream and accepts only narrow ranges of mmcv and
mmcls; a mismatch otherwise surfaces as an obscure import or runtime error, so
mmbank checks them first and says in one sentence what is wrong.
"""
from importlib import metadata
from typing import Callable, Dict, Optional, Sequence, Tuple

from packaging.specifiers import SpecifierSet
from packaging.version import Version

# package import name -> (distribution names to look for, version range)
REQUIRED_VERSIONS: Dict[str, Tuple[Sequence[str], str]] = {
    'torch': (('torch', ), '>=2.0'),
    'mmengine': (('mmengine', ), '>=0.7.0,<1.0.0'),
    'mmcv': (('mmcv', 'mmcv-lite'), '>=2.0.0rc4,<2.1.0'),
    'mmcls': (('mmcls', ), '>=1.0.0rc6,<1.1.0'),
    'mmselfsup': (('mmselfsup', ), '>=1.0.0,<1.1.0'),
}


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
        lookup: Callable[[Sequence[str]], Optional[str]] = installed_version
) -> None:
    """Check every package of :data:`REQUIRED_VERSIONS`.

    Args:
        lookup (callable): Maps distribution names to an installed version.
            Defaults to :func:`installed_version`.
    """
    for package, (dist_names, spec) in REQUIRED_VERSIONS.items():
        check_version(package, lookup(dist_names), spec)
