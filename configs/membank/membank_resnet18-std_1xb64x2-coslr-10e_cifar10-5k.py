# CPU-sized CIFAR-10 protocol (about 10 minutes on 2 CPU cores): ResNet-18
# with the standard stem, the first 5,000 training images, 64 samples x 2
# views per batch, 10 epochs, cosine lr (configs/_base_/
# cpu_protocol_cifar10-5k.py).
_base_ = [
    '../_base_/models/membank_resnet18.py',
    '../_base_/cpu_protocol_cifar10-5k.py',
]

model = dict(data_preprocessor=_base_.batched_views)  # K = 2, batched
train_dataloader = dict(batch_size=64)

base_hooks = [
    dict(type='ChannelsLastHook'),  # about 1.5x faster convolutions on CPU
    *_base_.custom_hooks,
]
# exact=True: the float64 fixed-point search the published runs merged with
merge_hook = dict(_base_.merge_hook, start_epoch=5, interval=1, exact=True)
# merging before RNGStateHook, the runtime's last hook; the ablations
# switch it off with custom_hooks = {{_base_.base_hooks}}
hooks_with_merging = [*base_hooks[:-1], merge_hook, base_hooks[-1]]
custom_hooks = hooks_with_merging
