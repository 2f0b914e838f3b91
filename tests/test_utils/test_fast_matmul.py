"""fast_matmul: TF32 allowed inside the block only, the flag restored."""
import pytest
import torch

from mmbank.utils.fast_matmul import fast_matmul


@pytest.mark.parametrize('before', [False, True])
def test_the_flag_is_set_inside_and_restored_after(before):
    flag = torch.backends.cuda.matmul
    saved = flag.allow_tf32
    try:
        flag.allow_tf32 = before
        with fast_matmul():
            assert flag.allow_tf32 is True
        assert flag.allow_tf32 is before
        with pytest.raises(RuntimeError):
            with fast_matmul():
                raise RuntimeError('inside')
        assert flag.allow_tf32 is before  # also after an exception
        with fast_matmul(enabled=False):
            assert flag.allow_tf32 is before  # a no-op block
    finally:
        flag.allow_tf32 = saved
