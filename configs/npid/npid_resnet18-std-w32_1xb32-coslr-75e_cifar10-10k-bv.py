# mmselfsup's NPID at 32 samples a step on the CPU protocol
# (npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-10k.py) with its one view
# made batched on the model's device (BatchedViewsDataPreprocessor,
# ../_base_/datasets/cifar10_batched_views.py) instead of per image in the
# loader: the baseline of the method's -bv configs, through the same
# implementation of the augmentation. Its accuracy against the per-image
# config's records is not measured yet.
_base_ = [
    './npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-10k.py',
    '../_base_/datasets/cifar10_batched_views.py',
]

model = dict(data_preprocessor=dict(_base_.batched_views, num_views=1))
train_dataloader = dict(dataset=dict(pipeline=_base_.batched_views_pipeline))
