# The full method on the CPU protocol (configs/_base_/cpu_protocol_cifar10.py),
# the paper's large mini-batch: NPID's 64 samples per step x K = 2 views
# (128 images), so an epoch has the baseline's number of steps
# (configs/npid/npid_resnet18-std_1xb64-coslr-35e_cifar10-10k.py); full
# softmax over the bank, KL consistency, hard-negative merging from the
# middle of training. The consistency and merge settings are starting points
# carried over from the previous CPU protocol, not yet tuned on this one.
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/cpu_protocol_cifar10.py',
]

model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=18, out_indices=[4]))

base_hooks = [
    dict(type='ChannelsLastHook'),  # about 1.5x faster convolutions on CPU
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(type='RNGStateHook'),
]
merge_hook = dict(
    type='HardNegativeMergeHook',
    start_epoch=18,
    interval=1,
    final_ratio=0.1,
    max_group_size=4,
    min_similarity=0.7,
    mutual=True)
hooks_with_merging = base_hooks + [merge_hook]
# ablations switch merging off with custom_hooks = {{_base_.base_hooks}}
custom_hooks = hooks_with_merging
