"""mmbank: improved memory banks for instance discrimination (Bulat et al.,
ICASSP 2021) as an mmselfsup 1.x plug-in.

``import mmbank`` (what ``custom_imports = dict(imports=['mmbank'])`` in a
config does) checks the versions of the OpenMMLab packages, applies the
upstream workarounds and registers every mmbank component in mmselfsup's
registries.
"""
import warnings

from .utils.dependency_check import check_dependencies
from .version import __version__

check_dependencies()

# mmcv-lite has no compiled ops; mmselfsup imports a module that warns about
# one it never uses on every import.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')

from .utils.upstream_fixes import apply_upstream_fixes  # noqa: E402

apply_upstream_fixes()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
