import pytest

from server import api as api_module
from server import content_schemas as cs

COLLECTIONS = {
    "categories": api_module.CategoryOut,
    "causes": cs.CauseSchema,
    "exercises": cs.ExerciseSchema,
    "routines": api_module.RoutineOut,
    "reminders": cs.ReminderSchema,
    "sources": cs.SourceSchema,
}


def test_content_document_matches_its_schema(client, app):
    response = client.get("/api/v1/content")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert api_module.ContentSchema().validate(data) == {}
    assert data["version"] == app.extensions["mbr_content"].version
    assert {c["id"] for c in data["categories"]} == {
        "muscular-postural", "skeletal-neurological", "lifestyle-less-common"}


def test_version_endpoint(client, app):
    data = client.get("/api/v1/content/version").get_json()
    assert api_module.ContentVersionSchema().validate(data) == {}
    assert data["version"] == app.extensions["mbr_content"].version
    assert data["counts"]["causes"] == len(app.extensions["mbr_content"].causes)


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_collections_and_items_match_their_schemas(client, name):
    schema = COLLECTIONS[name]
    items = client.get(f"/api/v1/{name}").get_json()
    assert items and schema(many=True).validate(items) == {}
    for item in items:
        one = client.get(f"/api/v1/{name}/{item['id']}")
        assert one.status_code == 200
        assert one.get_json() == item


def test_routines_report_their_total_time(client, app):
    for routine in client.get("/api/v1/routines").get_json():
        assert routine["total_seconds"] == sum(s["seconds"] for s in routine["steps"])


def test_unknown_item_is_structured_404(client):
    response = client.get("/api/v1/exercises/not-a-stretch")
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == 404 and body["error"] == "Not Found"
    assert "not-a-stretch" in body["message"]
    assert api_module.ErrorSchema().validate(body) == {}


def test_unknown_route_and_wrong_method_are_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["status"] == 404
    wrong = client.delete("/api/v1/content")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"] == "Method Not Allowed"
    assert "GET" in wrong.headers["Allow"]


def test_api_answers_are_cacheable_with_etags(client):
    first = client.get("/api/v1/content")
    assert client.get("/api/v1/content", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_openapi_description_lists_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/content", "/api/v1/exercises/{item_id}", "/api/v1/routines"):
        assert path in spec["paths"], path
