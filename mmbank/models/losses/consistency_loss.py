from typing import Sequence, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmselfsup.registry import MODELS
from ..utils import pairwise_kl, pairwise_kl_log_probs


@MODELS.register_module()
class ConsistencyLoss(BaseModule):
    """KL consistency between the distributions of several views.

    ``loss_weight * mean_{k != j} KL(softmax(x_k / T) || softmax(x_j / T))``
    over ordered view pairs, averaged over samples (Bulat et al. 2021, (b)).
    It enforces no discrimination against negatives: only that the views of
    a sample agree. Works on any logits, e.g. two views' similarities to a
    memory bank or a queue.

    Args:
        temperature (float): ``T``, divides the inputs. The memory-bank head
            passes cosine similarities, so ``T`` is the consistency
            temperature; 1.0 treats the inputs as logits. Defaults to 1.0.
        loss_weight (float): ``lambda``. Defaults to 1.0.
        detach_target (bool): Stop the gradient through the first argument
            of each KL. Defaults to False.
    """

    def __init__(self,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 detach_target: bool = False) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.detach_target = detach_target

    def forward(self, *logits: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Compute the loss.

        Args:
            *logits: Either two or more ``(B, C)`` tensors, one per view, or
                one ``(K, B, C)`` tensor with ``K >= 2``.

        Returns:
            Tensor: Scalar loss.
        """
        if len(logits) == 1 and torch.is_tensor(logits[0]) \
                and logits[0].dim() == 3:
            stacked = logits[0]
        else:
            if len(logits) < 2:
                raise ValueError('ConsistencyLoss needs at least two views')
            stacked = torch.stack(list(logits))
        return self.loss_weight * pairwise_kl(
            stacked.float() / self.temperature, self.detach_target)

    def from_log_probs(self, log_probs: Tensor) -> Tensor:
        """The loss from ``(K, B, C)`` log-softmax of ``inputs / T``
        already computed (the head shares its own when temperatures match).
        """
        return self.loss_weight * pairwise_kl_log_probs(
            log_probs, self.detach_target)
