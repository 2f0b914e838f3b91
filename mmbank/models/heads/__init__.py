from .memory_bank_head import MemoryBankHead

__all__ = ['MemoryBankHead']
