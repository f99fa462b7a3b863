"""Cursor pagination of a segment's members: every member exactly once, in order, at the
limit's boundaries (1 and 1,000 accepted, 0 and 1,001 refused)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.api.conftest import Keys, Published


def walk(client: TestClient, key: str, segment_id: int, limit: int) -> tuple[list[str], int]:
    members: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        r = client.get(
            f"/v1/segments/{segment_id}/members", params=params, headers={"X-API-Key": key}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["segment_id"] == segment_id
        if body["next_cursor"] is not None:  # every page but the last is full
            assert len(body["members"]) == limit
        else:  # the last: the remainder, empty only when the segment is
            assert len(body["members"]) <= limit
            assert len(body["members"]) >= 1 or pages == 0
        members += body["members"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return members, pages


def test_walks_see_every_member_once_in_order(
    client: TestClient, keys: Keys, published: Published
) -> None:
    for segment_id, size in published.sizes.items():
        by_1000, pages_1000 = walk(client, keys.read, segment_id, 1000)
        assert by_1000 == sorted(set(by_1000)) and len(by_1000) == size
        assert pages_1000 == max(1, -(-size // 1000))
        by_7, pages_7 = walk(client, keys.read, segment_id, 7)
        assert by_7 == by_1000 and pages_7 == max(1, -(-size // 7))
    assert sorted(m for s in published.sizes for m in walk(client, keys.read, s, 1000)[0]) == (
        published.customer_ids
    )


def test_limit_1_walks_one_member_per_page(
    client: TestClient, keys: Keys, published: Published
) -> None:
    segment_id = min(published.sizes, key=published.sizes.__getitem__)
    members, pages = walk(client, keys.read, segment_id, 1)
    assert pages == published.sizes[segment_id] == len(members)
    assert members == sorted(members)


def test_limit_boundaries(client: TestClient, keys: Keys, published: Published) -> None:
    segment_id = next(iter(published.sizes))
    h = {"X-API-Key": keys.read}
    url = f"/v1/segments/{segment_id}/members"
    assert client.get(url, params={"limit": 1}, headers=h).status_code == 200
    assert client.get(url, params={"limit": 1000}, headers=h).status_code == 200
    for bad in (0, 1001):
        r = client.get(url, params={"limit": bad}, headers=h)
        assert r.status_code == 422
        assert [f["field"] for f in r.json()["fields"]] == ["query.limit"]


def test_an_unknown_segment_is_404(client: TestClient, keys: Keys, published: Published) -> None:
    missing = max(published.sizes) + 100
    r = client.get(f"/v1/segments/{missing}/members", headers={"X-API-Key": keys.read})
    assert r.status_code == 404
    assert f"segment {missing} is not a segment of the current model" in r.json()["message"]
