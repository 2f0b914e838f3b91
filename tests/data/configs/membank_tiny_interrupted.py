# The tiny deterministic run, killed after epoch 1 (to test resuming).
# Needs tests/data on PYTHONPATH for the test-only hook.
_base_ = './membank_tiny_deterministic.py'

custom_imports = dict(
    imports=['mmbank', 'stop_after_epoch_hook'],
    allow_failed_imports=False)
custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(
        type='HardNegativeMergeHook',
        start_epoch=1,
        interval=1,
        final_ratio=0.5,
        max_group_size=3,
        min_similarity=-1.0,
        mutual=False),
    dict(type='StopAfterEpochHook', epoch=1),
]
