# npid_tiny.py with a cosine lr schedule over its one epoch (to test
# resuming with a longer schedule).
_base_ = './npid_tiny.py'

max_epochs = 1
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         begin=0, end=max_epochs)
]
