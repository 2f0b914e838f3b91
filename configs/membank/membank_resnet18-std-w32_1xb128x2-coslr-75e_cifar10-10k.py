# The full method on the CPU protocol (configs/_base_/cpu_protocol_cifar10.py),
# the paper's large mini-batch: NPID's 128 samples per step x K = 2 views
# (256 images), so an epoch has the baseline's number of steps
# (configs/npid/npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py); full
# softmax over the bank, KL consistency, hard-negative merging from the
# middle of training. Tuned on the validation split (docs/results.md,
# "Tuning"): the consistency settings of the base model kept (weight 2,
# temperature 0.2 and a detached target each scored lower), the lr not grown
# with B x K (0.06 scored 1.1 lower); the merge settings are carried over
# (the similarity floor never binds up to 10% merged). K = 4 scored 2.0
# higher: membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k.py.
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/cpu_protocol_cifar10.py',
]

model = dict(
    data_preprocessor=_base_.batched_views,  # K = 2 views made batched
    backbone={{_base_.backbone}},  # merged over the base's CIFAR-stem ResNet
    neck=dict(in_channels={{_base_.embed_in}}))

base_hooks = [
    dict(type='ChannelsLastHook'),  # about 1.5x faster convolutions on CPU
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(type='RNGStateHook'),
]
merge_hook = dict(
    type='HardNegativeMergeHook',
    start_epoch=38,
    interval=1,
    final_ratio=0.1,
    max_group_size=4,
    min_similarity=0.7,
    # the exact (float64 fixed-point) search the published runs merged with:
    # the float32 default could merge other pairs on near-ties
    exact=True)
hooks_with_merging = base_hooks + [merge_hook]
# ablations switch merging off with custom_hooks = {{_base_.base_hooks}}
custom_hooks = hooks_with_merging
