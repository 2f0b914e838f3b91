# Ablation: (c) hard negative merging alone: K = 1 view, no consistency.
_base_ = './membank-vanilla_resnet18-std_1xb64x1-coslr-10e_cifar10-5k.py'

custom_hooks = [
    dict(type='ChannelsLastHook'),
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(
        type='HardNegativeMergeHook',
        start_epoch=5,
        interval=1,
        final_ratio=0.1,
        max_group_size=4,
        min_similarity=0.7,
        mutual=True),
    dict(type='RNGStateHook'),
]
