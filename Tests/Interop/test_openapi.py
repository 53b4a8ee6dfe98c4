"""The served OpenAPI document is valid OpenAPI 3.1."""
import requests
from openapi_spec_validator import validate


def test_openapi_document_is_valid(server):
    document = requests.get(server.url + "/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    validate(document)
