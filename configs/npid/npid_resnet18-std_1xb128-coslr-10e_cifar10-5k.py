# mmselfsup's NPID (Wu et al. 2018) on the CPU protocol of
# configs/membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py:
# the same 5,000 training images, ResNet-18 (standard stem) + 128-d
# LinearNeck, augmentation, SGD lr 0.003 (the protocol's, see there; NPID's
# paper uses 0.03 for 200 epochs) with cosine decay over 10 epochs and
# kNN monitor (k = 200, T = 0.1 every 5 epochs), so the two compare.
# NPID's own settings: one view per sample, batch 128, mmselfsup's
# SimpleMemory (momentum 0.5) sized to the subset, 4096 negatives drawn with
# replacement (NCE-free sampled softmax), temperature 0.1.
_base_ = [
    '../_base_/datasets/cifar10_membank.py',
    '../_base_/default_runtime.py',
    '../_base_/knn_monitor_cifar10.py',
]

num_train = 5000
max_epochs = 10

model = dict(
    type='NPID',
    neg_num=4096,
    data_preprocessor=dict(
        mean=(125.307, 122.961, 113.8575),
        std=(51.5865, 50.847, 51.255),
        bgr_to_rgb=False),  # mmcls CIFAR10 arrays are already RGB
    backbone=dict(type='ResNet', depth=18, out_indices=[4]),
    neck=dict(
        type='LinearNeck',
        in_channels=512,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        temperature=0.1),
    memory_bank=dict(
        type='SimpleMemory', length=num_train, feat_dim=128, momentum=0.5))

# one augmented view per sample (the base's view_pipeline), with its index
train_dataloader = dict(
    batch_size=128,
    num_workers=0,  # workers steal the 2 cores torch computes on
    persistent_workers=False,
    dataset=dict(
        indices=num_train,
        download=False,
        pipeline=[
            dict(
                type='MultiViewWithIndex',
                num_views=1,
                transforms={{_base_.view_pipeline}}),
            dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
        ]))

optimizer = dict(type='SGD', lr=0.003, weight_decay=5e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
# kNN monitor after epochs 5 and 10 (not in runs shorter than 5 epochs)
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_interval=5,
    val_begin=5)
val_cfg = dict(memory_dataloader=dict(dataset=dict(indices=num_train)))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))

# NPID has no mmbank memory bank to size or merge; keep the NaN guard and
# the random generators' states (exact resume)
custom_hooks = [
    dict(type='CheckInvalidLossHook', interval=1),
    dict(type='RNGStateHook'),
]
