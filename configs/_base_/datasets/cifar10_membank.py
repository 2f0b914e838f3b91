# CIFAR-10 with K augmented views per sample (Ye et al. / NPID augmentation).
# data/cifar10 is written offline by tools/prepare_cifar.py; with internet,
# OfflineCIFAR10(download=True) fetches the official files like mmcls does.
_base_ = ['./npid_views.py', './multiview_loader.py']

dataset_type = 'OfflineCIFAR10'
data_root = 'data/cifar10/'
num_views = 2

# NPID's view of 32 x 32 RGB arrays: the crop size and the channel order of
# the grayscale weights differ from npid_views.py
view_pipeline = [
    dict(_base_.view_pipeline[0], size=32),
    dict(_base_.view_pipeline[1], channel_weights=(0.299, 0.587, 0.114)),
    *_base_.view_pipeline[2:],  # colour jitter, flip
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
    dataset=dict(
        type=dataset_type,
        data_prefix=data_root,
        test_mode=False,
        download=True,
        pipeline=train_pipeline))
