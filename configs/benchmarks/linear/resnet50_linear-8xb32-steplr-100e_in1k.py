# Linear evaluation on ImageNet of a ResNet-50 (configs/membank_r50.py):
# mmselfsup's NPID/MoCo setting (frozen backbone, SGD lr 30, no weight
# decay, steps at 60/80, 100 epochs, 8 GPUs x 32 images).
#   bash tools/dist_train.sh configs/benchmarks/linear/resnet50_linear-8xb32-steplr-100e_in1k.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=CKPT
_base_ = [
    '../_base_/models/resnet50_linear.py',
    '../_base_/datasets/imagenet_linear.py',
    '../_base_/schedules/sgd_steplr-100e.py',
    '../_base_/default_runtime.py',
]

# 8 GPUs x 32 images; scale the lr when the total batch changes
auto_scale_lr = dict(base_batch_size=256)
