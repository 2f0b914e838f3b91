# The CPU protocol config shrunk for the tests' tiny CIFAR-10 (16 train,
# 10 test images): 2 iterations of 8 samples x 2 views, the kNN monitor
# after the single epoch. Pass the data with
#   --cfg-options train_dataloader.dataset.data_prefix=DIR
#       val_dataloader.dataset.data_prefix=DIR
#       val_cfg.memory_dataloader.dataset.data_prefix=DIR
_base_ = '../../../configs/membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'  # noqa

train_dataloader = dict(batch_size=8, dataset=dict(indices=None))
train_cfg = dict(max_epochs=1, val_interval=1, val_begin=1)
param_scheduler = []
val_dataloader = dict(batch_size=4)
val_cfg = dict(
    memory_dataloader=dict(batch_size=5, dataset=dict(indices=None)))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
custom_hooks = [dict(type='MemoryBankSetupHook')]
