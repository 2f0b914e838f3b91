from .instance_memory_bank import InstanceMemoryBank

__all__ = ['InstanceMemoryBank']
