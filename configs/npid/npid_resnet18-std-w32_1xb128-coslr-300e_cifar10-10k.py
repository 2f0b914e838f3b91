# mmselfsup's NPID on the CPU protocol with four times the epochs: as many
# images through the network as the 4-view runs (equal compute).
_base_ = ['./npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py']

max_epochs = 300
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
