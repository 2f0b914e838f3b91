"""Tests for mmbank/utils/cli.py."""
import argparse
import os

import pytest

from mmbank.utils.cli import (add_launch_arguments, check_config_file,
                              error_sentence, exit_on_user_error,
                              non_negative_int, positive_int, set_local_rank)


def test_number_types_refuse_out_of_range_values():
    assert positive_int('3') == 3 and non_negative_int('0') == 0
    with pytest.raises(argparse.ArgumentTypeError, match='must be >= 1'):
        positive_int('0')
    with pytest.raises(argparse.ArgumentTypeError, match='must be >= 0'):
        non_negative_int('-1')
    with pytest.raises(ValueError):
        positive_int('two')


def test_launch_arguments_and_local_rank(monkeypatch):
    parser = argparse.ArgumentParser()
    add_launch_arguments(parser, cfg_options_help=', e.g. a.b=1')
    args = parser.parse_args(
        ['--cfg-options', 'a.b=1', 'c=[1,2]', '--launcher', 'pytorch',
         '--local-rank', '3'])
    assert args.cfg_options == {'a.b': 1, 'c': [1, 2]}
    assert args.launcher == 'pytorch' and args.local_rank == 3
    assert 'e.g. a.b=1' in parser.format_help()
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    set_local_rank(args)
    assert os.environ['LOCAL_RANK'] == '3'
    # a launcher's LOCAL_RANK wins over the argument
    monkeypatch.setenv('LOCAL_RANK', '1')
    set_local_rank(args)
    assert os.environ['LOCAL_RANK'] == '1'
    defaults = parser.parse_args([])
    assert defaults.launcher == 'none' and defaults.local_rank == 0
    assert defaults.cfg_options is None
    with pytest.raises(SystemExit):
        parser.parse_args(['--launcher', 'mpi'])


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match='^Config not found: .*nope.py$'):
        check_config_file(str(tmp_path / 'nope.py'))
    (tmp_path / 'a.py').write_text('')
    check_config_file(str(tmp_path / 'a.py'))


def test_user_errors_and_bugs(capsys):
    assert error_sentence(KeyError('The config has no x.')) == \
        'The config has no x.'
    assert error_sentence(KeyError('labels')) == "KeyError: 'labels'"
    assert error_sentence(ValueError('two\n  lines')) == 'two lines'
    for err in (KeyError('The config has\nno x.'), RuntimeError(
            'Cannot find CIFAR10 dataset in data/'), FileNotFoundError(
                'Config not found: a.py')):
        with pytest.raises(SystemExit) as exit_info:
            with exit_on_user_error():
                raise err
        assert exit_info.value.code == 2
        assert capsys.readouterr().err == f'error: {error_sentence(err)}\n'
        with pytest.raises(type(err)):
            with exit_on_user_error(debug=True):
                raise err
    # bugs keep their traceback
    for err in (TypeError('bug'), NotImplementedError('todo'),
                AssertionError()):
        with pytest.raises(type(err)):
            with exit_on_user_error():
                raise err
    assert capsys.readouterr().err == ''
