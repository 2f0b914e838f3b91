# The quick start (tools/quickstart.sh): the full method of the CPU protocol
# at 64 samples x 2 views a step (membank_resnet18-std-w32_1xb64x2-coslr-
# 150e_cifar10-10k.py, the best equal-compute setting on validation) with
# the views made batched on the model's device, cut to 40 epochs so that
# set-up, training and evaluation fit in 15 minutes on 2 CPU cores; merging
# in the last 30% of training. A demonstration, not the protocol.
_base_ = './membank_resnet18-std-w32_1xb64x2-coslr-150e_cifar10-10k.py'

max_epochs = 40
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=20)  # monitor: 20, 40
custom_hooks = [*_base_.base_hooks,
                dict(_base_.merge_hook, start_epoch=29)]
