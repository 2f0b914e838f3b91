# configs/npid/npid_resnet18-std_1xb128-coslr-10e_cifar10-5k.py (mmselfsup's
# NPID, which has no predict) shrunk for the tests' tiny CIFAR-10: 2
# iterations of 8 images, the kNN monitor after the single epoch.
_base_ = '../../../configs/npid/npid_resnet18-std_1xb128-coslr-10e_cifar10-5k.py'  # noqa

model = dict(neg_num=8, memory_bank=dict(length=16))
train_dataloader = dict(batch_size=8, dataset=dict(indices=None))
train_cfg = dict(max_epochs=1, val_interval=1, val_begin=1)
param_scheduler = []
val_dataloader = dict(batch_size=4)
val_cfg = dict(
    memory_dataloader=dict(batch_size=5, dataset=dict(indices=None)))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
