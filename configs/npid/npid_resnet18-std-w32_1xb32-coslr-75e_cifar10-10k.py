# mmselfsup's NPID on the CPU protocol at 32 samples a step: four times the
# optimiser steps of the 128-sample config in about 1.1x its minutes (NPID's
# step cost is per sample). The protocol search's batch-32 candidate
# (.dev_scripts/protocol_search.py, npid-10k-b32-lr0.03-75e-std-w32)
# scored 7.6 points of test kNN above the centred-pixel floor, against 4.9
# at batch 128; the baseline of
# configs/membank/membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k.py.
# Same lr (0.03), schedule and bank as the 128-sample config.
_base_ = './npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py'

train_dataloader = dict(batch_size=32)
