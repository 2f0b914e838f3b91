# Linear evaluation on CIFAR-10 of the paper's model (ResNet-18, CIFAR stem,
# configs/membank/membank_resnet18_1xb128-steplr-200e_cifar10.py): frozen
# backbone, linear head on the 512-d pooled feature, 100 epochs.
#   python tools/train.py configs/benchmarks/linear/resnet18-cifar_linear-1xb256-coslr-100e_cifar10.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=CKPT
_base_ = [
    '../_base_/models/resnet18-cifar_linear.py',
    '../_base_/datasets/cifar10_linear.py',
    '../_base_/schedules/sgd_coslr-100e.py',
    '../_base_/default_runtime.py',
]
