from .bank_update import group_mean_rows, momentum_update
from .diagnostics import same_class_pair_fraction
from .grouping import merge_nearest_groups
from .losses import instance_nll, pairwise_kl, positive_mask
from .nn_search import nearest_other_group

__all__ = [
    'group_mean_rows', 'instance_nll', 'merge_nearest_groups',
    'momentum_update', 'nearest_other_group', 'pairwise_kl',
    'positive_mask', 'same_class_pair_fraction'
]
