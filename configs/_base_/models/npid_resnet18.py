# mmselfsup's NPID (Wu et al. 2018) on the network of membank_resnet18.py
# (ResNet-18 with the standard stem, 128-d LinearNeck, CIFAR-10
# normalisation): ContrastiveHead at temperature 0.1, 4096 negatives drawn
# with replacement, mmselfsup's SimpleMemory (momentum 0.5), whose `length`
# (the training set's size) the config sets.
_base_ = './membank_resnet18.py'

model = dict(
    type='NPID',
    neg_num=4096,
    head=dict(
        _delete_=True,
        type='ContrastiveHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        temperature=0.1),
    memory_bank=dict(
        type='SimpleMemory', length=None, feat_dim=128, momentum=0.5))
