# CPU-sized linear evaluation (a few minutes on 2 CPU cores) of the CPU
# protocol's model (configs/membank/membank_resnet18-std_1xb64x2-coslr-10e_
# cifar10-5k.py, whose last checkpoint is the default): ResNet-18 with the
# standard stem frozen, linear head trained on the same 5,000 training
# images for 10 epochs, top-1 on the full 10,000-image test set.
#   python tools/train.py configs/benchmarks/linear/resnet18_linear-1xb256-coslr-10e_cifar10-5k.py
_base_ = './resnet18_linear-1xb256-coslr-100e_cifar10.py'

max_epochs = 10

train_dataloader = dict(
    num_workers=0,  # workers steal the 2 cores torch computes on
    persistent_workers=False,
    dataset=dict(indices=5000, download=False))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(download=False))
test_dataloader = val_dataloader

param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
