# Linear evaluation on STL-10 of the model trained on its 105k train +
# unlabelled images (configs/membank/membank_resnet18_1xb128x2-coslr-200e_
# stl10.py): frozen ResNet-18 (standard stem), linear head trained on the
# 5,000 labelled train images, top-1 on the 8,000 test images.
#   python tools/train.py configs/benchmarks/linear/resnet18_linear-1xb256-coslr-100e_stl10.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=CKPT
_base_ = [
    '../_base_/models/resnet18_linear.py',
    '../_base_/datasets/stl10_linear.py',
    '../_base_/schedules/sgd_coslr-100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        mean=[113.9, 112.2, 103.7], std=[66.4, 65.4, 69.2]),
    backbone=dict(
        init_cfg=dict(
            checkpoint='work_dirs/membank_resnet18_1xb128x2-coslr-200e_stl10/'
            'epoch_200.pth')))
