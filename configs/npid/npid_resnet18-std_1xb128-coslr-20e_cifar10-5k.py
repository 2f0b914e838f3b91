# mmselfsup's NPID on the CPU protocol with twice the epochs: as many images
# through the network as the 2-view mmbank runs (equal compute).
_base_ = './npid_resnet18-std_1xb128-coslr-10e_cifar10-5k.py'

max_epochs = 20
param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
