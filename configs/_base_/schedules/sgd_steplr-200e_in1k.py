# NPID's ImageNet schedule (mmselfsup's sgd_steplr-200e_in1k.py): SGD lr
# 0.03, momentum 0.9, wd 1e-4, 200 epochs, lr x0.1 at 120 and 160.
optimizer = dict(type='SGD', lr=0.03, weight_decay=1e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[120, 160], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
