# Linear evaluation on CIFAR-10 of a full-width ResNet-18 with the standard
# stem (configs/membank/*resnet18-std_*; the CPU protocol's half-width
# models use resnet18_linear-1xb256-coslr-10e_cifar10-10k.py): frozen
# backbone, linear head on the 512-d pooled feature, 100 epochs.
#   python tools/train.py configs/benchmarks/linear/resnet18_linear-1xb256-coslr-100e_cifar10.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=CKPT
_base_ = [
    '../_base_/models/resnet18_linear.py',
    '../_base_/datasets/cifar10_linear.py',
    '../_base_/schedules/sgd_coslr-100e.py',
    '../_base_/default_runtime.py',
]
