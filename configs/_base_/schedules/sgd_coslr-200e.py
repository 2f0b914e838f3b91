# NPID's CIFAR optimiser (SGD lr 0.03, momentum 0.9, wd 5e-4) with cosine
# decay over `max_epochs` = 200 epochs. A config with another length sets
#   max_epochs = N
#   param_scheduler = [
#       dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)]
#   train_cfg = dict(max_epochs=max_epochs)
max_epochs = 200
optimizer = dict(type='SGD', lr=0.03, weight_decay=5e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
