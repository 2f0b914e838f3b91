# The full method on the CPU protocol with K = 2 views of 64 samples a step
# (128 images, NPID's batch) for 150 epochs: the steps and images of NPID
# for 300 epochs (configs/npid/npid_resnet18-std-w32_1xb128-coslr-300e_
# cifar10-10k.py), i.e. equal compute counted in images and in optimiser
# steps. The best equal-compute setting on validation (.dev_scripts/
# tuning.py --only k2-b64-150e: 54.04 / 57.68 against NPID-300's 54.06 /
# 55.56, where K = 4 at 32 samples a step scored 51.64 / 56.16). Not the
# paper's large mini-batch (B x K with B = NPID's): an equal-compute
# counterpart. Merging starts at the middle of training (epoch 75); the
# monitor scores the validation queries every 25 epochs.
_base_ = './membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py'

max_epochs = 150
train_dataloader = dict(batch_size=64)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=25)
custom_hooks = [*_base_.base_hooks,
                dict(_base_.merge_hook, start_epoch=75)]
