# The paper's small-data protocol on CIFAR-10: ResNet-18 (CIFAR stem),
# 128 samples x K = 2 views per batch, full softmax, consistency and merging.
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/datasets/cifar10_membank.py',
    '../_base_/schedules/sgd_steplr-200e_cifar.py',
    '../_base_/default_runtime.py',
]

custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    # merge after epochs 80, 90, ..., 200, growing to 10% of the bank
    dict(
        type='HardNegativeMergeHook',
        start_epoch=80,
        interval=10,
        final_ratio=0.1,
        max_group_size=4,
        min_similarity=0.7,
        mutual=True,
        average_rows=False),
    dict(type='RNGStateHook'),
]
