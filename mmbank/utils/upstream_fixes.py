"""Workarounds for upstream bugs of the frozen mmselfsup 1.0.0 stack.

Each one is applied once, by ``import mmbank``
(:func:`apply_upstream_fixes`), and has a test that fails without it (in
``tests/test_utils/``: this module's, ``test_weights_only_loading.py`` and
``test_atomic_write.py``, ``test_checkpoint_pruning.py``); the tools call
the CPU-only distributed set-up
themselves (:mod:`.cpu_distributed`).
"""
from typing import List

from .atomic_write import (atomic_put,  # noqa: F401
                           remove_stale_temporaries,
                           write_local_files_atomically)
from .checkpoint_pruning import \
    save_before_removing_old_checkpoints  # noqa: F401
from .cpu_distributed import (init_cpu_distributed,  # noqa: F401
                              use_cpu_distributed_config)
from .weights_only_loading import (  # noqa: F401
    UnsafeCheckpointError, checkpoint_safe_globals, drop_executable_config,
    force_weights_only_in_mmengine, history_buffer_getattr,
    keep_weights_only_checkpoint_loading)

# mmselfsup 1.0.0's wheel lists a module it does not ship
# (mmselfsup.engine.runner, upstream issue #745) as a location of these
# registries, so building a runner fails with ModuleNotFoundError.
_MISSING_MODULE = 'mmselfsup.engine.runner'
_REGISTRIES_WITH_MISSING_MODULE = ('RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS')


def fix_runner_registry_locations() -> List[str]:
    """Drop the missing ``mmselfsup.engine.runner`` from registry locations.

    Returns:
        list[str]: Names of the registries that were changed.
    """
    import mmselfsup.registry as registry
    changed = []
    for name in _REGISTRIES_WITH_MISSING_MODULE:
        reg = getattr(registry, name)
        if _MISSING_MODULE in reg._locations:
            reg._locations = [
                loc for loc in reg._locations if loc != _MISSING_MODULE
            ]
            changed.append(name)
    return changed


def apply_upstream_fixes() -> None:
    """Apply every workaround of this module and of those it imports
    (idempotent)."""
    fix_runner_registry_locations()
    keep_weights_only_checkpoint_loading()
    write_local_files_atomically()
    save_before_removing_old_checkpoints()
