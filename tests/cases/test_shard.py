"""--shard I/N: disjoint parts that together are the whole, of about equal work."""

import pytest

from cases.catalog import catalog
from cases.shard import PER_CASE, parse_shard, shard


@pytest.fixture(scope="module")
def cases():
    return catalog()


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_the_parts_are_disjoint_and_together_the_whole_in_order(cases, count):
    parts = [shard(cases, i, count) for i in range(1, count + 1)]
    ids = [c.id for p in parts for c in p]
    assert sorted(ids) == sorted(c.id for c in cases)
    assert len(set(ids)) == len(ids)
    position = {c.id: n for n, c in enumerate(cases)}
    for p in parts:
        assert [position[c.id] for c in p] == sorted(position[c.id] for c in p)


def test_the_parts_carry_about_equal_work(cases):
    def work(part):
        return sum(c.x.size + PER_CASE for c in part)
    loads = [work(shard(cases, i, 4)) for i in range(1, 5)]
    largest = max(c.x.size + PER_CASE for c in cases)
    assert max(loads) - min(loads) <= largest


def test_the_split_depends_on_the_cases_only(cases):
    assert [c.id for c in shard(list(reversed(cases)), 2, 3)] == \
        [c.id for c in reversed(shard(cases, 2, 3))]


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", "1/100001"])
def test_a_malformed_shard_is_refused_saying_what_is_expected(text):
    with pytest.raises(ValueError, match="expected I/N"):
        parse_shard(text)


def test_parse_shard():
    assert parse_shard("2/4") == (2, 4)
