# mmselfsup's NPID (Wu et al. 2018) on the CPU protocol of
# configs/membank/membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py
# (configs/_base_/cpu_protocol_cifar10-5k.py): the same 5,000 training
# images, ResNet-18 (standard stem) + 128-d LinearNeck, augmentation, SGD
# lr 0.003 (the protocol's, see there; NPID's paper uses 0.03 for 200
# epochs) with cosine decay over 10 epochs and kNN monitor (k = 200,
# T = 0.1 every 5 epochs), so the two compare.
# NPID's own settings: one view per sample, batch 128, mmselfsup's
# SimpleMemory (momentum 0.5) sized to the subset, 4096 negatives drawn with
# replacement (NCE-free sampled softmax), temperature 0.1.
_base_ = [
    '../_base_/models/npid_resnet18.py',
    '../_base_/cpu_protocol_cifar10-5k.py',
]

# one augmented view per sample, made batched on the model's device
model = dict(
    data_preprocessor=dict(_base_.batched_views, num_views=1),
    memory_bank=dict(length={{_base_.num_train}}))

train_dataloader = dict(batch_size=128)

# NPID has no mmbank memory bank to size or merge; keep the NaN guard and
# the random generators' states (exact resume)
custom_hooks = [
    hook for hook in _base_.custom_hooks
    if hook.type != 'MemoryBankSetupHook'
]
