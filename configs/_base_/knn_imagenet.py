# kNN splits for tools/knn.py on ImageNet-1k (a dataset whose split is not
# chosen by test_mode, so tools/knn.py cannot derive them): the train set as
# memory and the val set as queries, both resized (short edge 256) and
# centre-cropped to 224, no augmentation (mmselfsup's knn_imagenet.py
# protocol). Add it to the `_base_` of a training config (or of a
# two-line config that inherits the training config and this file).
# data/imagenet/meta/{train,val}.txt list "path label" lines (mmcls layout).
_base_ = './eval_loader.py'

knn_data_root = 'data/imagenet/'
knn_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcls.ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', 'gt_label']),
]
knn_train_dataloader = dict(
    _base_.eval_loader,
    dataset=dict(
        type='mmcls.ImageNet',
        data_root=knn_data_root,
        ann_file='meta/train.txt',
        data_prefix='train',
        pipeline=knn_pipeline))
# the same on the val split
knn_test_dataloader = dict(
    knn_train_dataloader,
    dataset=dict(
        knn_train_dataloader['dataset'],
        ann_file='meta/val.txt',
        data_prefix='val'))
