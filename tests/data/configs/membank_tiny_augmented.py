# The tiny run of membank_tiny_deterministic.py with the real random
# augmentation of configs/_base_/datasets/cifar10_membank.py (random resized
# crop, grayscale, colour jitter, flip) and RNGStateHook, for testing that a
# resumed run draws the same augmentation as an uninterrupted one.
_base_ = './membank_tiny_deterministic.py'

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='MultiViewWithIndex',
            num_views=2,
            transforms={{_base_.view_pipeline}}),
        dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
    ]))
custom_hooks = [
    dict(type='RNGStateHook'),
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
]
