from .channels_last_hook import (ChannelsLastHook, to_channels_last,
                                 use_channels_last_wrapper)
from .check_invalid_loss_hook import (CheckInvalidLossHook, EmptyEpochError,
                                      InvalidLossError,
                                      NonFiniteCheckpointError,
                                      non_finite_tensors)
from .hard_negative_merge_hook import HardNegativeMergeHook
from .memory_bank_setup_hook import (MemoryBankCheckHook, MemoryBankSetupHook,
                                     find_modules)
from .resume_schedule_hook import ResumeScheduleHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'ChannelsLastHook', 'to_channels_last', 'use_channels_last_wrapper',
    'CheckInvalidLossHook',
    'InvalidLossError', 'NonFiniteCheckpointError', 'EmptyEpochError',
    'non_finite_tensors', 'HardNegativeMergeHook', 'MemoryBankSetupHook',
    'MemoryBankCheckHook',
    'find_modules', 'ResumeScheduleHook', 'RNGStateHook'
]
