"""The upstream workaround of mmbank.utils.upstream_fixes itself, and that
it is needed (the others: test_weights_only_loading.py,
test_atomic_write.py, test_cpu_distributed.py)."""
import mmbank  # noqa: F401

from conftest import run_python


def test_runner_registry_needs_the_fix_and_has_it():
    code = ('from mmselfsup.registry import RUNNERS\n'
            'RUNNERS.import_from_location()\n')
    broken = run_python(code)
    assert broken.returncode != 0
    assert "No module named 'mmselfsup.engine.runner'" in broken.stderr
    fixed = run_python('import mmbank\n' + code +
                       "from mmselfsup.registry import LOOPS\n"
                       "print(LOOPS.get('EpochBasedTrainLoop'))")
    assert fixed.returncode == 0, fixed.stderr
    assert 'EpochBasedTrainLoop' in fixed.stdout
