"""Segment's own Python library (segment-analytics-python), pointed at Trellis, unchanged."""
import pytest
import segment.analytics as analytics
from segment.analytics.client import Client


def contact_by_user(server, user_id):
    items = server.api.get(f"{server.url}/api/v1/contacts", params={"userId": user_id}).json()["items"]
    assert len(items) == 1, items
    return items[0]


def timeline(server, contact_id):
    return server.api.get(f"{server.url}/api/v1/contacts/{contact_id}/timeline", params={"limit": 100}).json()["items"]


@pytest.mark.parametrize("gzip", [False, True])
def test_every_call_of_the_library_is_stored(server, gzip):
    errors = []
    client = Client(write_key=server.write_key, host=server.url, gzip=gzip, sync_mode=True,
                    on_error=lambda error, items: errors.append(error))
    anon = f"anon-{gzip}"
    user = f"user-{gzip}"
    client.page(anonymous_id=anon, name="Pricing", properties={"path": "/pricing", "url": "https://acme.example/pricing"})
    client.track(anonymous_id=anon, event="Ebook Downloaded", properties={"title": "CRM migration guide"})
    client.identify(user_id=user, anonymous_id=anon, traits={"email": f"ada-{gzip}@acme.example", "firstName": "Ada", "title": "VP Marketing"})
    client.group(user_id=user, group_id=f"acme-{gzip}", traits={"name": "Acme", "employees": 250})
    client.screen(user_id=user, name="Dashboard")
    client.track(user_id=user, event="Demo Requested", properties={"pain_point": "duplicates"})
    client.alias(previous_id=f"old-{gzip}", user_id=user)
    client.flush()
    assert errors == []

    contact = contact_by_user(server, user)
    assert contact["email"] == f"ada-{gzip}@acme.example"
    assert contact["traits"]["title"] == "VP Marketing"
    assert anon in contact["anonymousIds"]          # the anonymous history follows the person
    events = timeline(server, contact["id"])
    types = [(e["type"], e["event"]) for e in events]
    assert ("page", "Pricing") in types
    assert ("track", "Ebook Downloaded") in types
    assert ("track", "Demo Requested") in types
    assert ("screen", "Dashboard") in types
    assert ("alias", None) in types
    assert all(e["context"]["library"]["name"] == "analytics-python" for e in events if e["source"] == "python")
    account = server.api.get(f"{server.url}/api/v1/accounts/{contact['accountId']}").json()
    assert account["groupId"] == f"acme-{gzip}" and account["traits"]["employees"] == 250
    assert [c["id"] for c in account["contacts"]] == [contact["id"]]


def test_retried_batches_store_nothing_twice(server):
    client = Client(write_key=server.write_key, host=server.url, sync_mode=True)
    for _ in range(3):
        client.track(user_id="retry-user", event="Clicked", message_id="fixed-message-id")
    contact = contact_by_user(server, "retry-user")
    assert [e["messageId"] for e in timeline(server, contact["id"])].count("fixed-message-id") == 1


def test_a_refused_batch_is_a_clear_non_retried_error(server):
    errors = []
    client = Client(write_key="not-a-key", host=server.url, sync_mode=True, max_retries=1,
                    on_error=lambda error, items: errors.append(error))
    with pytest.raises(analytics.request.APIError) as raised:
        client.track(user_id="u", event="E")
    assert raised.value.status == 401
    assert "write key" in raised.value.message


def test_async_mode_with_many_events(server):
    client = Client(write_key=server.write_key, host=server.url, upload_size=100, gzip=True)
    for index in range(1000):
        client.track(user_id=f"bulk-{index % 10}", event="Viewed", properties={"index": index})
    client.flush()
    client.join()
    total = sum(len(timeline(server, contact_by_user(server, f"bulk-{n}")["id"])) for n in range(10))
    assert total == 1000
