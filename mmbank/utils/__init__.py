# Only the dependency check here: it must run before anything imports
# mmengine, mmcv, mmcls or mmselfsup. The upstream fixes live in
# ``mmbank.utils.upstream_fixes``.
from .dependency_check import (DependencyVersionError, check_dependencies,
                               check_version)

__all__ = ['DependencyVersionError', 'check_dependencies', 'check_version']
