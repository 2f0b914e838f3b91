# The CPU protocol on CIFAR-10 (found by .dev_scripts/protocol_search.py,
# docs/results.md "Protocol search"): the first `num_train` training images,
# `batch_size` samples per step, SGD (momentum 0.9, wd 5e-4) at `lr` with
# cosine decay over `max_epochs`, ResNet-18 with the standard stem at half
# width (`backbone`, `embed_in`: 32-64-128-256 channels, a fifth of the
# full width's cost, and the fastest learner of the search) and
# channels-last convolutions. The kNN monitor (k = 200, T = 0.1) scores the
# validation queries (training images 45,000-49,999, never in the subset)
# every 10 epochs; tools/knn.py reads the test set once per final setting.
_base_ = [
    './datasets/cifar10_membank.py',
    './default_runtime.py',
    './knn_monitor_cifar10.py',
]

num_train = 10000
batch_size = 128  # samples per step; the method adds K views of each
# (the protocol's NPID runs at 32 samples a step, +7.6 test kNN over the
# pixel floor against +4.5 at 128: configs/npid/*_1xb32-*; the configs'
# names give their samples x views a step)
max_epochs = 75
lr = 0.03
backbone = dict(
    type='ResNet', depth=18, base_channels=32, stem_channels=32,
    out_indices=[4])
embed_in = 256  # the backbone's output channels, the neck's input

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,  # workers steal the 2 cores torch computes on
    persistent_workers=False,
    dataset=dict(indices=num_train, download=False))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=lr, weight_decay=5e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_interval=10,
    val_begin=5)  # shorter runs (tests) never pay for the monitor

# kNN monitor: memory = the training subset, queries = validation images
val_cfg = dict(memory_dataloader=dict(dataset=dict(indices=num_train)))
val_dataloader = dict(
    dataset=dict(test_mode=False, index_range=(45000, 50000)))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))
