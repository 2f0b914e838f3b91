# mmselfsup's NPID on the CPU protocol for 300 epochs
# (npid_resnet18-std-w32_1xb128-coslr-300e_cifar10-10k.py) with its one view
# made batched on the model's device (BatchedViewsDataPreprocessor,
# ../_base_/datasets/cifar10_batched_views.py): the equal-images-and-steps
# baseline of the method's 64 x 2, 150-epoch batched-views config.
_base_ = [
    './npid_resnet18-std-w32_1xb128-coslr-300e_cifar10-10k.py',
    '../_base_/datasets/cifar10_batched_views.py',
]

model = dict(data_preprocessor=dict(_base_.batched_views, num_views=1))
train_dataloader = dict(dataset=dict(pipeline=_base_.batched_views_pipeline))
