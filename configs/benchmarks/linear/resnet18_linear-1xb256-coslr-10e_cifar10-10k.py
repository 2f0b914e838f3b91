# Linear evaluation of the CPU protocol's models (configs/_base_/
# cpu_protocol_cifar10.py): ResNet-18 (standard stem, half width) frozen, a
# linear head trained on the same 10,000 training images for 10 epochs,
# top-1 on the 10,000 test images (read once per final setting).
_base_ = './resnet18_linear-1xb256-coslr-10e_cifar10-5k.py'

model = dict(
    backbone=dict(
        base_channels=32,
        stem_channels=32,
        init_cfg=dict(checkpoint='work_dirs/membank_resnet18-std-w32_'
                      '1xb128x4-coslr-75e_cifar10-10k/epoch_75.pth')),
    head=dict(in_channels=256))
train_dataloader = dict(dataset=dict(indices=10000))
