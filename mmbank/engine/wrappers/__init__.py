from .channels_last_ddp import ChannelsLastDistributedDataParallel

__all__ = ['ChannelsLastDistributedDataParallel']
