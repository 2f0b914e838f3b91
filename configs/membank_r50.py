# The full method on ImageNet-1k with ResNet-50: 8 GPUs x 32 samples x 2
# views, 200 epochs (NPID's schedule), consistency, hard negative merging.
#   bash tools/dist_train.sh configs/membank_r50.py 8
_base_ = [
    '_base_/models/membank_resnet50.py',
    '_base_/datasets/imagenet_membank.py',
    '_base_/default_runtime.py',
]

optimizer = dict(type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[120, 160], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)

# the bank is a buffer updated identically on every rank: never broadcast it
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', broadcast_buffers=False)

custom_hooks = [
    dict(type='MemoryBankSetupHook'),
    dict(type='CheckInvalidLossHook', interval=1),
    dict(
        type='HardNegativeMergeHook',
        start_epoch=80,
        interval=10,
        final_ratio=0.1,
        max_group_size=4,
        min_similarity=0.7,
        mutual=True,
        chunk_size=8192),
    dict(type='RNGStateHook'),
]

# 8 GPUs x 32 samples; scale the lr when the total batch changes
auto_scale_lr = dict(base_batch_size=256)
