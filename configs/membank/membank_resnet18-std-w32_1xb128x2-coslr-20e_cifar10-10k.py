# The quick start (tools/quickstart.sh): the full method of the CPU protocol
# (membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py) cut to 20
# epochs, merging from epoch 11, so that set-up, training and evaluation fit
# in about 20 minutes on 2 CPU cores. A demonstration, not the protocol.
_base_ = './membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py'

max_epochs = 20
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)  # monitor after 10, 20
merge_hook = dict(_base_.merge_hook, start_epoch=11)
custom_hooks = _base_.base_hooks + [merge_hook]
