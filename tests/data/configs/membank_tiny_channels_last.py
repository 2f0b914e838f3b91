# membank_tiny_deterministic.py with channels-last convolutions.
_base_ = './membank_tiny_deterministic.py'

custom_hooks = [dict(type='ChannelsLastHook'), *_base_.custom_hooks]
