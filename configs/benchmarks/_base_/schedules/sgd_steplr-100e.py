# mmselfsup's MoCo/NPID linear evaluation schedule on ImageNet: SGD lr 30,
# no weight decay, lr x0.1 at epochs 60 and 80, 100 epochs.
optimizer = dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)

param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
