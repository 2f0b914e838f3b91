# ImageNet-1k with K augmented views per sample (NPID's augmentation,
# npid_views.py as it stands), split as for images of varying size
# (npid_batched_views.py): the loader decodes each image and makes its K
# random resized crops (MultiViewWithIndex), BatchedViewsDataPreprocessor
# (`batched_views`) flips, grayscales and colour-jitters the batch on the
# model's device. A config that takes this base sets the model's
# preprocessor from it, keeping its mean, std and bgr_to_rgb=True:
#   model = dict(data_preprocessor=_base_.batched_views)
# K is `num_views` in both places. `per_image_pipeline` makes the whole
# views per image in the loader instead, with a plain
# SelfSupDataPreprocessor.
_base_ = [
    './npid_views.py', './npid_batched_views.py', './multiview_loader.py'
]

dataset_type = 'mmcls.ImageNet'
data_root = 'data/imagenet/'
num_views = 2

batched_views = dict(_base_.batched_views, num_views=num_views)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiViewWithIndex',
        num_views=num_views,
        transforms=[_base_.batched_views_crop]),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
]
per_image_pipeline = [
    train_pipeline[0],
    dict(train_pipeline[1], transforms=_base_.view_pipeline),
    train_pipeline[2],
]

train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix=dict(img_path='train/'),
        pipeline=train_pipeline))
