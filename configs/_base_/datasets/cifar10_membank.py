# CIFAR-10 with K augmented views per sample (Ye et al. / NPID augmentation).
# data/cifar10 is written offline by tools/prepare_cifar.py; with internet,
# OfflineCIFAR10(download=True) fetches the official files like mmcls does.
dataset_type = 'OfflineCIFAR10'
data_root = 'data/cifar10/'
num_views = 2

view_pipeline = [
    dict(
        type='RandomResizedCrop', size=32, scale=(0.2, 1.), backend='pillow'),
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
    num_workers=4,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_prefix=data_root,
        test_mode=False,
        download=True,
        pipeline=train_pipeline))
