# The loader of the evaluation splits (kNN memory and queries): 256 images
# per batch, in order, no workers kept between passes. knn_monitor_cifar10.py,
# knn_imagenet.py and datasets/stl10_membank.py build theirs from it with
#   dict(_base_.eval_loader, dataset=...)
eval_loader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
