from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, broadcast, get_dist_info
from mmengine.model import BaseModule
from torch import Tensor

from mmselfsup.registry import MODELS
from ..utils import momentum_update


@MODELS.register_module()
class InstanceMemoryBank(BaseModule):
    """One L2-normalised feature per training sample, plus merge groups.

    Both live in buffers (``feats``, ``group_ids``), so they are saved in
    checkpoints, restored on resume and moved with the model. The bank knows
    nothing about losses: heads read it, :meth:`update` writes it, and
    ``HardNegativeMergeHook`` changes ``group_ids``.

    Args:
        num_samples (int, optional): Rows, the training set's length. None
            leaves the bank empty until ``MemoryBankCheckHook`` sizes it from
            the training dataset before training (so configs need no magic
            dataset length). Defaults to None.
        feat_dim (int): Feature dimension. Defaults to 128.
        momentum (float): Weight of the old row in the update
            ``m <- normalise(momentum * m + (1 - momentum) * mean_k v^k)``.
            Defaults to 0.5 (NPID).
        fill_on_first_update (bool): Write a row's first update as is,
            ``m <- normalise(mean_k v^k)``, instead of mixing it with the
            random initial row (which otherwise lingers with weight
            ``momentum ** updates``: a quarter after two epochs at 0.5).
            Defaults to False (NPID's bank).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_samples: Optional[int] = None,
                 feat_dim: int = 128,
                 momentum: float = 0.5,
                 fill_on_first_update: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        if num_samples is not None and num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.feat_dim = feat_dim
        self.momentum = momentum
        self.fill_on_first_update = fill_on_first_update
        self.register_buffer('feats', torch.empty(0, feat_dim))
        self.register_buffer('group_ids', torch.empty(0, dtype=torch.long))
        # whether each row has had an update (for fill_on_first_update)
        self.register_buffer('updated', torch.empty(0, dtype=torch.bool))
        if num_samples is not None:
            self.reset(num_samples)

    @property
    def num_samples(self) -> int:
        """Number of rows (0 until sized)."""
        return self.feats.shape[0]

    def reset(self, num_samples: int, seed: Optional[int] = None) -> None:
        """Re-initialise to ``num_samples`` random unit rows, no groups,
        none updated.

        The contents are set in place (``.data``), so model wrappers that
        hold references to the buffers see the new ones. In distributed runs
        rank 0's rows are broadcast, so every rank starts identical.

        Args:
            num_samples (int): Rows.
            seed (int, optional): Seed of the random rows. Defaults to None
                (torch's global generator).
        """
        device = self.feats.device
        gen = None
        if seed is not None:
            gen = torch.Generator().manual_seed(seed)
        feats = F.normalize(
            torch.randn(num_samples, self.feat_dim, generator=gen), dim=1)
        self.feats.data = feats.to(device)
        self.group_ids.data = torch.arange(num_samples, device=device)
        self.updated.data = torch.zeros(
            num_samples, dtype=torch.bool, device=device)
        if get_dist_info()[1] > 1:
            broadcast(self.feats.data, src=0)

    @torch.no_grad()
    def update(self, idx: Tensor, view_feats: Tensor) -> None:
        """Momentum-update the rows of ``idx`` with the mean of the views
        (or fill rows never updated, with ``fill_on_first_update``).

        In distributed runs, indices and features of every rank are gathered
        first, so all ranks apply the same update.

        Args:
            idx (Tensor): ``(B,)`` sample indices.
            view_feats (Tensor): ``(K, B, d)`` or ``(B, d)`` features.
        """
        if view_feats.dim() == 3:
            view_feats = view_feats.mean(dim=0)
        view_feats = view_feats.detach()
        if get_dist_info()[1] > 1:
            idx = torch.cat(all_gather(idx))
            view_feats = torch.cat(all_gather(view_feats))
        view_feats = view_feats.float()
        new_rows = momentum_update(self.feats[idx], view_feats,
                                   self.momentum)
        if self.fill_on_first_update:
            first = ~self.updated[idx]
            new_rows[first] = F.normalize(view_feats[first], dim=1)
        self.feats[idx] = new_rows.to(self.feats.dtype)
        self.updated[idx] = True

    def group_sizes(self) -> Tensor:
        """``(N,)`` size of each row's group (cached until the groups
        change)."""
        key = (self.group_ids.data_ptr(), self.group_ids._version,
               self.num_samples)
        if getattr(self, '_sizes_key', None) != key:
            counts = torch.bincount(
                self.group_ids, minlength=self.num_samples)
            self._sizes = counts[self.group_ids]
            self._num_merged = int((self._sizes > 1).sum())
            self._sizes_key = key
        return self._sizes

    def groups_changed(self) -> None:
        """Forget the cached group sizes; call after writing ``group_ids``
        by means that torch does not count as a change (collectives)."""
        self._sizes_key = None

    @property
    def num_merged(self) -> int:
        """Rows in merge groups of two or more."""
        self.group_sizes()
        return self._num_merged

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
            self.updated.data = self.updated.new_empty((rows, ))
        if key in state_dict and prefix + 'updated' not in state_dict:
            # checkpoints from before the flag existed: rows count as updated
            state_dict[prefix + 'updated'] = torch.ones(
                state_dict[key].shape[0], dtype=torch.bool)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f'num_samples={self.num_samples}, feat_dim={self.feat_dim}, '
                f'momentum={self.momentum}, '
                f'fill_on_first_update={self.fill_on_first_update}')
