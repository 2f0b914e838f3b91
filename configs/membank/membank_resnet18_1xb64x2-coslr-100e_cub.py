# Unseen categories (Ye et al., CVPR 2019) on CUB-200-2011: train on the
# 5,864 images of classes 1-100, retrieve among the 5,924 images of classes
# 101-200 (configs/benchmarks/retrieval/resnet18_retrieval_cub.py,
# Recall@{1,2,4,8} and NMI).
# ResNet-18 (standard stem) initialised from ImageNet as Ye et al. start
# from an ImageNet-pretrained network (Inception-v1 there; mmcls has none);
# the weights download on first use: set model.backbone.init_cfg=None to
# train from scratch offline. 224 x 224 views, 64 samples x 2 views per
# batch, full softmax over the bank, 100 epochs with cosine lr (the
# schedule is this project's choice: neither paper gives one for ResNet-18).
_base_ = [
    '../_base_/models/membank_resnet18_cifar.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True),  # LoadImageFromFile gives BGR
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        out_indices=[4],
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')))

dataset_type = 'CUB200'
data_root = 'data/CUB_200_2011/'
num_views = 2

view_pipeline = [
    dict(
        type='RandomResizedCrop', size=224, scale=(0.2, 1.), backend='pillow'),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),  # BGR images
    dict(
        type='ColorJitter',
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.4),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiViewWithIndex',
        num_views=num_views,
        transforms=view_pipeline),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',  # the first half of the classes
        pipeline=train_pipeline))

optimizer = dict(type='SGD', lr=0.03, weight_decay=5e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
max_epochs = 100
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
        start_epoch=40,
        interval=5,
        final_ratio=0.1,
        max_group_size=4,
        min_similarity=0.7,
        mutual=True),
    dict(type='RNGStateHook'),
]
