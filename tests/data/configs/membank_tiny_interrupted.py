# The tiny deterministic run, killed after epoch 1 (to test resuming).
# Needs tests/data on PYTHONPATH for the test-only hook.
_base_ = './membank_tiny_deterministic.py'

custom_imports = dict(
    imports=['mmbank', 'stop_after_epoch_hook'],
    allow_failed_imports=False)
custom_hooks = [*_base_.custom_hooks, dict(type='StopAfterEpochHook', epoch=1)]
