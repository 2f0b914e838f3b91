# mmselfsup's own NPID on the tiny CIFAR-10 of the tests (16 images).
_base_ = '../../../configs/_base_/default_runtime.py'

model = dict(
    type='NPID',
    neg_num=8,
    data_preprocessor=dict(
        mean=(125.307, 122.961, 113.8575),
        std=(51.5865, 50.847, 51.255),
        bgr_to_rgb=False),
    backbone=dict(type='ResNet', depth=18, out_indices=[4]),
    neck=dict(
        type='LinearNeck', in_channels=512, out_channels=16,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        temperature=0.1),
    memory_bank=dict(
        type='SimpleMemory', length=16, feat_dim=16, momentum=0.5))

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='OfflineCIFAR10',
        data_prefix='data/cifar10/',
        test_mode=False,
        download=False,
        pipeline=[
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
        ]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, weight_decay=5e-4, momentum=0.9))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
custom_hooks = []
