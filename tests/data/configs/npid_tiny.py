# mmselfsup's own NPID on the tiny CIFAR-10 of the tests (16 images).
_base_ = [
    '../../../configs/_base_/models/npid_resnet18.py',
    '../../../configs/_base_/default_runtime.py',
]

model = dict(
    neg_num=8,
    neck=dict(out_channels=16),
    memory_bank=dict(length=16, feat_dim=16))

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
