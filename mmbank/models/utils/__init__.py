from .bank_functional import (argmax_in_blocks, best_block_per_row,
                              group_mean_rows, instance_nll,
                              merge_nearest_groups, momentum_update,
                              nearest_other_group, pairwise_kl,
                              pairwise_kl_log_probs, positive_mask,
                              same_class_pair_fraction)

__all__ = [
    'argmax_in_blocks', 'best_block_per_row', 'group_mean_rows',
    'instance_nll', 'merge_nearest_groups', 'momentum_update',
    'nearest_other_group', 'pairwise_kl', 'pairwise_kl_log_probs',
    'positive_mask', 'same_class_pair_fraction'
]
