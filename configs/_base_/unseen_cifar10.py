# The offline stand-in of the unseen-category protocol (Ye et al., CVPR
# 2019) on CIFAR-10: train on the `seen_classes`, retrieve (Recall@K, NMI)
# among images of the `unseen_classes`. Included beside a method config by
# the *_cifar10-0to4.py configs, which wrap their training set in
#   dict(type='ClassSubset', classes={{_base_.seen_classes}}, dataset=...)
# and monitor with `unseen_val_dataloader` / `unseen_val_evaluator`: the
# unseen classes' validation images (training images 45,000-49,999, never
# trained on), so the test set is read once, by tools/retrieval.py with a
# configs/benchmarks/retrieval/*_cifar10-5to9.py config
# (`unseen_test_dataloader`: the 5,000 test images of classes 5-9).
seen_classes = [0, 1, 2, 3, 4]
unseen_classes = [5, 6, 7, 8, 9]

_unseen_images = dict(
    type='OfflineCIFAR10',
    data_prefix='data/cifar10/',
    download=False,
    pipeline=[
        dict(type='PackSelfSupInputs', algorithm_keys=['gt_label',
                                                       'sample_idx'])
    ])
_loader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
unseen_val_dataloader = dict(
    _loader,
    dataset=dict(
        type='ClassSubset',
        classes=unseen_classes,
        dataset=dict(_unseen_images, test_mode=False,
                     index_range=(45000, 50000))))
unseen_test_dataloader = dict(
    _loader,
    dataset=dict(
        type='ClassSubset',
        classes=unseen_classes,
        dataset=dict(_unseen_images, test_mode=True)))
# exact=True: the search the published numbers were computed with
unseen_val_evaluator = dict(
    type='RetrievalMetric', ks=[1, 2, 4, 8], exact=True)
