"""sync_docs.py replaces marked blocks with the campaigns' tables."""
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools',
                            'benchmarks'))
import sync_docs  # noqa: E402


def test_first_table_stops_at_the_first_gap():
    md = 'intro\n\n| a |\n|---|\n| 1 |\n\ntext\n| b |\n'
    assert sync_docs.first_table(md) == '| a |\n|---|\n| 1 |'


def test_whole_report_from_its_first_table():
    md = '# title\n\nintro\n\n| a |\n|---|\n\n**b**:\n\n| b |\n|---|\n'
    assert sync_docs.from_first_table(md) == (
        '| a |\n|---|\n\n**b**:\n\n| b |\n|---|')
    assert sync_docs.from_first_table('no table') == ''


def test_sync_replaces_only_the_marked_block():
    doc = ('head\n<!-- tuning -->\n| old |\n<!-- /tuning -->\ntail\n'
           '<!-- search -->\n| keep |\n<!-- /search -->\n')
    out = sync_docs.sync(doc, {'tuning': '| new |\n|---|'})
    assert out == ('head\n<!-- tuning -->\n| new |\n|---|\n'
                   '<!-- /tuning -->\ntail\n'
                   '<!-- search -->\n| keep |\n<!-- /search -->\n')
    assert sync_docs.sync(out, {'tuning': '| new |\n|---|'}) == out


def test_missing_marker_is_an_error():
    with pytest.raises(ValueError, match='no <!-- tuning -->'):
        sync_docs.sync('no markers here', {'tuning': '| x |'})

