import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmselfsup.registry import MODELS
from ..utils import pairwise_kl


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

    def forward(self, logits: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``(K, B, C)`` logits (e.g. similarities to the
                same ``C`` bank rows) of ``K >= 2`` views of ``B`` samples.

        Returns:
            Tensor: Scalar loss.
        """
        if not torch.is_tensor(logits) or logits.dim() != 3 \
                or logits.shape[0] < 2:
            shape = tuple(logits.shape) if torch.is_tensor(logits) else \
                type(logits).__name__
            raise ValueError('ConsistencyLoss takes one (K, B, C) tensor of '
                             f'K >= 2 views\' logits, got {shape}; stack '
                             'separate views with torch.stack(views)')
        return self.loss_weight * pairwise_kl(
            logits.float() / self.temperature, self.detach_target)
