# STL-10 (mmbank's STL10 reads the official binary files): K augmented
# views per sample of the 105,000 train + unlabelled images, 96 x 96 RGB
# arrays, so CIFAR's views (cifar10_membank.py) but for the crop size; and
# the kNN splits for tools/knn.py (knn_train_dataloader /
# knn_test_dataloader): memory = the 5,000 labelled train images, queries =
# the 8,000 test images, no augmentation.
_base_ = ['./cifar10_membank.py', '../eval_loader.py']

dataset_type = 'STL10'
data_root = 'data/stl10/'  # holds stl10_binary/

view_pipeline = [
    dict(_base_.view_pipeline[0], size=96),
    *_base_.view_pipeline[1:],
]
batched_views = dict(_base_.batched_views, crop_size=96)
per_image_pipeline = [
    dict(_base_.per_image_pipeline[0], transforms=view_pipeline),  # K views
    *_base_.per_image_pipeline[1:],
]
train_dataloader = dict(
    num_workers=8,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train+unlabeled',
        pipeline=_base_.train_pipeline))

knn_pipeline = [
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', 'gt_label'])
]
knn_train_dataloader = dict(
    _base_.eval_loader,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=knn_pipeline))
knn_test_dataloader = dict(
    knn_train_dataloader,
    dataset=dict(knn_train_dataloader['dataset'], split='test'))
