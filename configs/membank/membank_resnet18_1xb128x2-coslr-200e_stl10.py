# STL-10 as in Ye et al. (CVPR 2019) and the paper: train on the 105,000
# train + unlabelled images (no labels used), evaluate with kNN and linear
# classification on the 5,000 labelled train / 8,000 test images
# (tools/knn.py with this config: knn_train_dataloader / knn_test_dataloader
# below; configs/benchmarks/linear/resnet18_linear-1xb256-coslr-100e_
# stl10.py).
# ResNet-18 with the standard stem on 96 x 96 images, 128 samples x 2 views,
# full softmax over the 105,000-row bank, consistency and merging; NPID's
# optimiser with 200 cosine epochs. Needs a GPU (about 2.5 GB of images are
# read from the official binary files per epoch, never held in memory).
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        mean=(113.9, 112.2, 103.7), std=(66.4, 65.4, 69.2),
        bgr_to_rgb=False),  # STL10 arrays are RGB
    backbone=dict(
        _delete_=True, type='ResNet', depth=18, out_indices=[4]))

dataset_type = 'STL10'
data_root = 'data/stl10/'  # holds stl10_binary/
num_views = 2

view_pipeline = [
    dict(
        type='RandomResizedCrop', size=96, scale=(0.2, 1.), backend='pillow'),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.299, 0.587, 0.114)),  # RGB images
    dict(
        type='ColorJitter',
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.4),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(
        type='MultiViewWithIndex',
        num_views=num_views,
        transforms=view_pipeline),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train+unlabeled',
        pipeline=train_pipeline))

optimizer = dict(type='SGD', lr=0.03, weight_decay=5e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
max_epochs = 200
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))

custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(
        type='HardNegativeMergeHook',
        start_epoch=80,
        interval=10,
        final_ratio=0.1,
        max_group_size=4,
        min_similarity=0.7,
        mutual=True),
    dict(type='RNGStateHook'),
]

# kNN evaluation (tools/knn.py): memory = the 5,000 labelled train images,
# queries = the 8,000 test images, no augmentation
knn_pipeline = [
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', 'gt_label'])
]
knn_train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=knn_pipeline))
knn_test_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=knn_pipeline))
