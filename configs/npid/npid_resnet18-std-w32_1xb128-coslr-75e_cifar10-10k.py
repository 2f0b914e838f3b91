# mmselfsup's NPID (Wu et al. 2018), unchanged, on the CPU protocol
# (configs/_base_/cpu_protocol_cifar10.py): one view per sample, 128
# samples per step, mmselfsup's SimpleMemory (momentum 0.5) sized to the
# subset, 4096 negatives drawn with replacement, temperature 0.1. The
# baseline of configs/membank/
# membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py.
_base_ = ['../_base_/cpu_protocol_cifar10.py']

model = dict(
    type='NPID',
    neg_num=4096,
    data_preprocessor=dict(
        _base_.batched_views,  # its one view made batched
        num_views=1,
        mean=(125.307, 122.961, 113.8575),
        std=(51.5865, 50.847, 51.255),
        bgr_to_rgb=False),  # mmcls CIFAR10 arrays are already RGB
    backbone={{_base_.backbone}},
    neck=dict(
        type='LinearNeck', in_channels={{_base_.embed_in}}, out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        temperature=0.1),
    memory_bank=dict(
        type='SimpleMemory', length={{_base_.num_train}}, feat_dim=128,
        momentum=0.5))

custom_hooks = [
    dict(type='ChannelsLastHook'),  # about 1.5x faster convolutions on CPU
    dict(type='CheckInvalidLossHook', interval=1),
    dict(type='RNGStateHook'),
]
