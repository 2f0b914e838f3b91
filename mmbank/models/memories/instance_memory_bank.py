import time
from typing import Dict, Optional

import torch
from mmengine.dist import (all_gather, broadcast, get_dist_info,
                           is_main_process)
from mmengine.model import BaseModule
from torch import Tensor

from mmselfsup.registry import MODELS
from ..utils import (group_statistics, merge_hard_negatives, momentum_update,
                     random_unit_rows, row_group_sizes)


@MODELS.register_module()
class InstanceMemoryBank(BaseModule):
    """One L2-normalised feature per training sample, plus merge groups.

    Both live in buffers (``feats``, ``group_ids``), so they are saved in
    checkpoints, restored on resume and moved with the model. The bank owns
    the operations on them and knows nothing about losses: heads read
    :meth:`rows`, the algorithm hands the batch's features to
    :meth:`update` after the loss, and ``HardNegativeMergeHook`` decides
    when to call :meth:`merge_hard_negatives`.

    When the rows are written: the loss reads the bank without copying it,
    so its backward pass needs the rows as they were. :meth:`update`
    therefore writes them at one point, when the backward pass has computed
    the gradient of the features it was given (a hook on that tensor), i.e.
    after every use of the rows it read and before the optimiser step;
    features without a graph are written at once. Between a loss and its
    backward pass :meth:`rows` gives the rows that loss read.

    Example:
        >>> bank = InstanceMemoryBank(num_samples=4, feat_dim=2, momentum=0)
        >>> bank.update(torch.tensor([1]), torch.tensor([[[0., 2.]]]))
        >>> bank.rows()[1]
        tensor([0., 1.])

    Args:
        num_samples (int, optional): Rows, the training set's length. None
            leaves the bank empty until ``MemoryBankSetupHook`` sizes it from
            the training dataset before training (so configs need no magic
            dataset length). Defaults to None.
        feat_dim (int): Feature dimension. Defaults to 128.
        momentum (float): Weight of the old row in the update
            ``m <- normalise(momentum * m + (1 - momentum) * mean_k v^k)``.
            Defaults to 0.5 (NPID).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_samples: Optional[int] = None,
                 feat_dim: int = 128,
                 momentum: float = 0.5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        if num_samples is not None and num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.feat_dim = feat_dim
        self.momentum = momentum
        self.register_buffer('feats', torch.empty(0, feat_dim))
        self.register_buffer('group_ids', torch.empty(0, dtype=torch.long))
        # the update waiting for its loss's backward pass: (idx, features)
        self._staged = None
        self._sizes = None  # cached (N,) group sizes; None when stale
        if num_samples is not None:
            self.reset(num_samples)

    @property
    def num_samples(self) -> int:
        """Number of rows (0 until sized)."""
        return self.feats.shape[0]

    def reset(self, num_samples: int, seed: Optional[int] = None) -> None:
        """Re-initialise to ``num_samples`` random unit rows, no groups.

        The contents are set in place (``.data``), so model wrappers that
        hold references to the buffers see the new ones. In distributed runs
        rank 0's rows are broadcast, so every rank starts identical.

        Args:
            num_samples (int): Rows.
            seed (int, optional): Seed of the random rows. Defaults to None
                (torch's global generator).
        """
        device = self.feats.device
        self.feats.data = random_unit_rows(num_samples, self.feat_dim,
                                           seed).to(device)
        self.group_ids.data = torch.arange(num_samples, device=device)
        self._staged = None
        self.groups_changed()
        if get_dist_info()[1] > 1:
            broadcast(self.feats.data, src=0)

    def update(self, idx: Tensor, view_feats: Tensor) -> None:
        """Momentum-update the rows of ``idx`` with the mean of the views.

        In distributed runs, indices and features of every rank are gathered
        now, so all ranks apply the same update. The rows are written when
        the backward pass has computed the gradient of ``view_feats`` (after
        every use of the rows the loss read: writing them before would need
        a copy of the whole bank), or at once when ``view_feats`` has no
        graph.

        Args:
            idx (Tensor): ``(B,)`` sample indices.
            view_feats (Tensor): ``(K, B, d)`` or ``(B, d)`` features.

        Raises:
            RuntimeError: The previous update still waits for its backward
                pass (its loss was never backpropagated).
        """
        if self._staged is not None:
            raise RuntimeError(
                'InstanceMemoryBank.update: the previous update still waits '
                'for the backward pass of its loss. Backpropagate each loss '
                'before the next update, or update under torch.no_grad() (or '
                'with detached features) to write at once.')
        with torch.no_grad():
            mean = view_feats.mean(dim=0) if view_feats.dim() == 3 \
                else view_feats
            mean = mean.detach().float()
            if get_dist_info()[1] > 1:
                idx = torch.cat(all_gather(idx))
                mean = torch.cat(all_gather(mean))
        if view_feats.requires_grad and torch.is_grad_enabled():
            self._staged = (idx, mean)
            view_feats.register_hook(self._write_staged)
        else:
            self._write(idx, mean)

    def _write_staged(self, grad: Tensor) -> None:
        """Tensor hook: the backward pass is past the rows; write them."""
        if self._staged is not None:
            idx, mean = self._staged
            self._staged = None
            self._write(idx, mean)

    @torch.no_grad()
    def _write(self, idx: Tensor, mean: Tensor) -> None:
        new_rows = momentum_update(self.feats[idx], mean, self.momentum)
        self.feats[idx] = new_rows.to(self.feats.dtype)

    def rows(self, idx: Optional[Tensor] = None) -> Tensor:
        """The ``(N, d)`` bank (as it is, not a copy: do not write it), or
        the ``(C, d)`` rows ``idx`` (a copy)."""
        return self.feats if idx is None else self.feats[idx]

    def group_sizes(self) -> Tensor:
        """``(N,)`` size of each row's group (cached until the groups
        change: :meth:`groups_changed`)."""
        if self._sizes is None or self._sizes.device != \
                self.group_ids.device or \
                self._sizes.shape != self.group_ids.shape:
            self._sizes = row_group_sizes(self.group_ids)
            self._num_merged = int((self._sizes > 1).sum())
        return self._sizes

    def groups_changed(self) -> None:
        """Forget the cached group sizes: called wherever ``group_ids``
        changes (reset, merge, loading); call it after writing
        ``group_ids`` yourself."""
        self._sizes = None

    @property
    def num_merged(self) -> int:
        """Rows in merge groups of two or more."""
        self.group_sizes()
        return self._num_merged

    @torch.no_grad()
    def set_groups(self, group_ids: Tensor) -> None:
        """Replace the ``(N,)`` merge groups (group id = a member's row)."""
        self.group_ids.copy_(group_ids)
        self.groups_changed()

    @property
    def merged_ratio(self) -> float:
        """Fraction of the rows in merge groups of two or more."""
        return self.num_merged / max(self.num_samples, 1)

    @torch.no_grad()
    def merge_hard_negatives(self,
                             ratio: float,
                             max_group_size: int = 4,
                             min_similarity: float = 0.5,
                             chunk_size: int = 4096,
                             exact: bool = False) -> Dict[str, float]:
        """Grow the merge groups until ``ratio`` of the bank is merged
        (Bulat et al. 2021, (c)).

        Rank 0 finds each row's cosine nearest neighbour outside its group
        (in ``chunk_size`` tiles, never ``N x N``) and merges the most
        similar mutual pairs
        (:func:`~mmbank.models.utils.merge_hard_negatives`), then broadcasts
        the groups, so every rank holds the same state. The rows stay as
        they are.

        Args:
            ratio (float): Fraction of the bank to have in groups.
            max_group_size (int): Bound on a group's size. Defaults to 4.
            min_similarity (float): Pairs less similar are never merged.
                Defaults to 0.5.
            chunk_size (int): Side of the search's tiles. Defaults to 4096.
            exact (bool): Exact fixed-point float64 similarities, so the
                merges do not depend on ``chunk_size``, the BLAS or the
                device; else float32 (TF32 on CUDA devices that have it),
                where rows within float32 rounding of a row's best can
                trade places. Defaults to False.

        Returns:
            dict: ``merged`` samples, ``groups`` (non-singleton),
            ``largest`` group and ``seconds`` taken.
        """
        start = time.perf_counter()
        if is_main_process():
            self.group_ids.copy_(merge_hard_negatives(
                self.feats, self.group_ids, int(ratio * self.num_samples),
                max_group_size, min_similarity, chunk_size, exact))
        if get_dist_info()[1] > 1:
            broadcast(self.group_ids, src=0)
        self.groups_changed()
        return dict(
            **group_statistics(self.group_ids),
            seconds=time.perf_counter() - start)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Adopt the checkpoint's length when the bank is still unsized; a
        sized bank of another length is an error, not a silent skip."""
        key = prefix + 'feats'
        if key in state_dict and state_dict[key].shape != self.feats.shape:
            rows = state_dict[key].shape[0]
            if self.num_samples not in (0, rows):
                raise ValueError(
                    f'The checkpoint\'s memory bank has {rows} rows but this '
                    f'model\'s has {self.num_samples} (the training set\'s '
                    'length): it was trained on another dataset.')
            self.feats.data = self.feats.new_empty(state_dict[key].shape)
            self.group_ids.data = self.group_ids.new_empty((rows, ))
        # checkpoints of the removed fill_on_first_update option carry
        # per-row update flags: nothing reads them any more
        state_dict.pop(prefix + 'updated', None)
        self._staged = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self.groups_changed()

    def extra_repr(self) -> str:
        return (f'num_samples={self.num_samples}, feat_dim={self.feat_dim}, '
                f'momentum={self.momentum}')
