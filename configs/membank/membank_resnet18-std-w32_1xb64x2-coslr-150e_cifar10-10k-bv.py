# membank_resnet18-std-w32_1xb64x2-coslr-150e_cifar10-10k.py with its K = 2
# views made batched on the model's device (BatchedViewsDataPreprocessor,
# ../_base_/datasets/cifar10_batched_views.py) instead of per image in the
# loader: the same augmentation distributions, the rest unchanged. Its
# accuracy against the per-image config's records is not measured yet.
_base_ = [
    './membank_resnet18-std-w32_1xb64x2-coslr-150e_cifar10-10k.py',
    '../_base_/datasets/cifar10_batched_views.py',
]

model = dict(data_preprocessor=dict(_base_.batched_views, num_views=2))
train_dataloader = dict(dataset=dict(pipeline=_base_.batched_views_pipeline))
