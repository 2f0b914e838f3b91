# STL-10 for linear evaluation: train on the 5,000 labelled train images,
# test on the 8,000 test images, at 96 x 96: cifar10_linear.py with a
# 96-pixel crop. mmbank's STL10 (official binary layout) lives in
# mmselfsup's scope, hence the prefix.
_base_ = './cifar10_linear.py'

dataset_type = 'mmselfsup.STL10'
data_root = 'data/stl10/'  # holds stl10_binary/

train_pipeline = [
    dict(type='RandomCrop', crop_size=96, padding=12),
    *_base_.train_pipeline[1:],  # flip, pack
]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
# the test split, without augmentation
val_dataloader = dict(
    dataset=dict(
        train_dataloader['dataset'],
        split='test',
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
