from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmselfsup.registry import MODELS
from ..utils import instance_nll, positive_mask


@MODELS.register_module()
class MemoryBankHead(BaseModule):
    """Non-parametric softmax over a memory bank, with optional consistency.

    For the ``K`` views ``v_i^k`` of each sample ``i`` in the batch:

    - ``loss_inst = -mean_{i,k} log sum_{j in G(i)} P(j | v_i^k)`` with
      ``P(j | v) = softmax_j(m_j . v / temperature)`` over the whole bank
      (or, with ``num_negatives``, over the batch's own rows plus that many
      rows drawn uniformly, shared by the batch); ``G(i)`` is ``i``'s merge
      group, just ``{i}`` until ``HardNegativeMergeHook`` merges;
    - ``loss_cons``: ``loss_consistency`` applied to the ``K`` views'
      similarities to the same candidate rows.

    The head is a loss: it reads the bank and never writes it (the
    algorithm updates the bank after the loss, as mmselfsup's NPID does).
    It holds the bank (built from ``memory_bank``) as a sub-module, so the
    bank's buffers keep their checkpoint names (``head.memory_bank.*``);
    the merge hook finds every bank in a model by type.

    Args:
        memory_bank (dict): Config of the bank. Defaults to
            ``dict(type='InstanceMemoryBank')``.
        temperature (float): Temperature of the instance softmax.
            Defaults to 0.1.
        num_negatives (int, optional): Rows drawn per step instead of the
            full softmax, for banks too large for it (ImageNet). Defaults
            to None (full softmax).
        loss_consistency (dict, optional): Config of a consistency loss,
            e.g. ``dict(type='ConsistencyLoss', temperature=0.1,
            loss_weight=1.0)``; needs ``K >= 2`` views. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 memory_bank: dict = dict(type='InstanceMemoryBank'),
                 temperature: float = 0.1,
                 num_negatives: Optional[int] = None,
                 loss_consistency: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if num_negatives is not None and num_negatives < 1:
            raise ValueError(
                f'num_negatives must be >= 1 or None, got {num_negatives}')
        self.memory_bank = MODELS.build(memory_bank)
        self.temperature = temperature
        self.num_negatives = num_negatives
        self.loss_consistency = MODELS.build(loss_consistency) \
            if loss_consistency is not None else None

    @property
    def with_consistency(self) -> bool:
        """Whether the consistency loss is on (it needs K >= 2 views)."""
        return self.loss_consistency is not None

    def candidates(self, idx: Tensor) -> Optional[Tensor]:
        """Bank rows the softmax runs over: None for all of them, else the
        batch's own rows followed by ``num_negatives`` uniform draws."""
        if self.num_negatives is None:
            return None
        drawn = torch.randint(
            self.memory_bank.num_samples, (self.num_negatives, ),
            device=idx.device)
        return torch.cat([idx, drawn])

    def similarities(self, view_feats: Tensor,
                     idx: Tensor) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """Cosine similarities to the candidate rows.

        Args:
            view_feats (Tensor): ``(K, B, d)`` L2-normalised features.
            idx (Tensor): ``(B,)`` sample indices into the bank.

        Returns:
            tuple: ``(K, B, C)`` similarities, ``(B,)`` candidate index of
            each sample's own row, and the ``(B, C)`` bool mask of positives
            when any sample of the batch is in a merge group (else None).
        """
        bank = self.memory_bank
        if bank.num_samples == 0:
            raise RuntimeError(
                'The memory bank has no rows: give it num_samples or add '
                "dict(type='MemoryBankSetupHook') to custom_hooks, which "
                'sizes it from the training set.')
        if idx.numel() and int(idx.max()) >= bank.num_samples:
            raise IndexError(
                f'sample index {int(idx.max())} is outside the memory bank '
                f'of {bank.num_samples} rows: the bank is shorter than the '
                'dataset.')
        cand = self.candidates(idx)
        # no copy of the full bank: its next in-place write comes after the
        # backward pass (InstanceMemoryBank.update writes at the next read)
        rows = bank.rows(cand)
        sims = torch.einsum('kbd,cd->kbc', view_feats, rows.to(view_feats))
        targets = idx if cand is None else torch.arange(
            idx.numel(), device=idx.device)
        pos_mask = None
        if bank.num_merged > 0 and bool((bank.group_sizes()[idx] > 1).any()):
            pos_mask = positive_mask(idx, cand, bank.group_ids)
        return sims, targets, pos_mask

    def loss(self, view_feats: Tensor, idx: Tensor) -> Dict[str, Tensor]:
        """Losses of a batch (the bank is not updated here).

        Args:
            view_feats (Tensor): ``(K, B, d)`` L2-normalised features.
            idx (Tensor): ``(B,)`` sample indices.

        Returns:
            dict[str, Tensor]: ``loss_inst`` and ``loss_cons`` (if on).
        """
        num_views = view_feats.shape[0]
        if self.with_consistency and num_views < 2:
            raise ValueError(
                'The consistency loss needs K >= 2 views of each sample, '
                f'got K = {num_views}.')
        sims, targets, pos_mask = self.similarities(view_feats, idx)
        log_probs = F.log_softmax(sims.float() / self.temperature, dim=2)
        losses = dict(loss_inst=instance_nll(log_probs, targets, pos_mask))
        if self.with_consistency:
            losses['loss_cons'] = self.loss_consistency(sims)
        return losses
