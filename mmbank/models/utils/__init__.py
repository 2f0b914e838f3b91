from .bank_update import momentum_update, random_unit_rows
from .diagnostics import (copy_pair_recovery, pair_similarity,
                          pair_softmax_share, same_class_pair_fraction)
from .grouping import (group_statistics, merge_hard_negatives,
                       merge_nearest_groups, row_group_sizes)
from .losses import instance_nll, pairwise_kl, positive_mask
from .nn_search import nearest_other_group

__all__ = [
    'copy_pair_recovery', 'group_statistics', 'instance_nll',
    'merge_hard_negatives', 'merge_nearest_groups', 'momentum_update',
    'nearest_other_group', 'pair_similarity', 'pair_softmax_share',
    'pairwise_kl', 'positive_mask',
    'random_unit_rows',
    'row_group_sizes', 'same_class_pair_fraction'
]
