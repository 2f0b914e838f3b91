from .bank_functional import (group_mean_rows, merge_nearest_groups,
                              momentum_update, multi_positive_nll,
                              nearest_other_group, pairwise_kl,
                              positive_mask)

__all__ = [
    'group_mean_rows', 'merge_nearest_groups', 'momentum_update',
    'multi_positive_nll', 'nearest_other_group', 'pairwise_kl',
    'positive_mask'
]
