# ResNet-50, 128-d embedding, a bank sized from the dataset (1,281,167 rows on
# ImageNet-1k), sampled negatives, consistency between views: the model of
# membank_resnet18.py with ImageNet's normalisation and NPID's ImageNet
# temperature.
_base_ = './membank_resnet18.py'

model = dict(
    data_preprocessor=dict(
        mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375),
        bgr_to_rgb=True),
    backbone=dict(depth=50, in_channels=3, norm_cfg=dict(type='SyncBN')),
    neck=dict(in_channels=2048),
    head=dict(
        temperature=0.07,
        # the full softmax over 1.28M rows holds B x K x N logits per GPU
        # (32 x 2 x 1.28M x 4 bytes = 328 MB, several times that with their
        # gradients and the consistency loss); set None to use it anyway
        num_negatives=65536,
        loss_consistency=dict(
            _delete_=True,
            type='ConsistencyLoss',
            temperature=0.07,
            loss_weight=1.0)))
