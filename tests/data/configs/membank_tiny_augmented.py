# The tiny run of membank_tiny_deterministic.py with the real random
# augmentation of configs/_base_/datasets/cifar10_membank.py made per image
# in the loader (its per_image_pipeline: random resized crop, grayscale,
# colour jitter, flip) and RNGStateHook, for testing that a resumed run
# draws the same augmentation as an uninterrupted one.
_base_ = './membank_tiny_deterministic.py'

train_dataloader = dict(dataset=dict(pipeline=_base_.per_image_pipeline))
custom_hooks = [dict(type='RNGStateHook'), *_base_.custom_hooks]
