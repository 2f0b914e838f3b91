# ImageNet-1k with K augmented views per sample (NPID's augmentation,
# npid_views.py as it stands).
_base_ = ['./npid_views.py', './multiview_loader.py']

dataset_type = 'mmcls.ImageNet'
data_root = 'data/imagenet/'
num_views = 2

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiViewWithIndex',
        num_views=num_views,
        transforms={{_base_.view_pipeline}}),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
]

train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix=dict(img_path='train/'),
        pipeline=train_pipeline))
