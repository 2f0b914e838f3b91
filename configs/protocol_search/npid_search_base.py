# Protocol search: mmselfsup's NPID on a CIFAR-10 training subset,
# kNN monitor on the validation queries (training images 45,000-49,999,
# never in the subset) every `val_interval` epochs. Candidates override
# num_train / max_epochs / batch / lr with --cfg-options.
_base_ = ['../npid/npid_resnet18-std_1xb128-coslr-10e_cifar10-5k.py']

num_train = 10000
max_epochs = 50

model = dict(memory_bank=dict(length=num_train))
train_dataloader = dict(dataset=dict(indices=num_train))
optimizer = dict(lr=0.03)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5, val_begin=1)
val_cfg = dict(memory_dataloader=dict(dataset=dict(indices=num_train)))
val_dataloader = dict(
    dataset=dict(test_mode=False, index_range=(45000, 50000)))
custom_hooks = [
    dict(type='ChannelsLastHook'),
    dict(type='CheckInvalidLossHook', interval=1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))
