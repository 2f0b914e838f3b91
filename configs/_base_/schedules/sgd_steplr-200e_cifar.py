# NPID's CIFAR schedule: its ImageNet schedule (SGD lr 0.03, momentum 0.9,
# 200 epochs, lr x0.1 at 120 and 160) with wd 5e-4.
_base_ = './sgd_steplr-200e_in1k.py'

optimizer = dict(weight_decay=5e-4)
optim_wrapper = dict(optimizer=optimizer)
