# ResNet-50, 128-d embedding, a bank sized from the dataset (1,281,167 rows on
# ImageNet-1k), sampled negatives, consistency between views.
model = dict(
    type='MultiViewNPID',
    data_preprocessor=dict(
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=3,
        out_indices=[4],
        norm_cfg=dict(type='SyncBN')),
    neck=dict(
        type='LinearNeck',
        in_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='MemoryBankHead',
        memory_bank=dict(
            type='InstanceMemoryBank',
            num_samples=None,  # sized from the training set
            feat_dim=128,
            momentum=0.5),
        temperature=0.07,
        # the full softmax over 1.28M rows costs a 655 MB bank copy per step;
        # set None to use it anyway
        num_negatives=65536,
        loss_consistency=dict(
            type='ConsistencyLoss', temperature=0.07, loss_weight=1.0)))
