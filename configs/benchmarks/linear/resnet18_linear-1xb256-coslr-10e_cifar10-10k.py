# Linear evaluation of the CPU protocol's models (configs/_base_/
# cpu_protocol_cifar10.py): ResNet-18 (standard stem) frozen, a linear head
# trained on the same 10,000 training images for 10 epochs, top-1 on the
# 10,000 test images (read once per final setting).
_base_ = './resnet18_linear-1xb256-coslr-10e_cifar10-5k.py'

train_dataloader = dict(dataset=dict(indices=10000))
