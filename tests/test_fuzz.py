"""The API's OpenAPI description, fuzzed with schemathesis over real HTTP (gzip and all):
no 5xx, and every response (status, content type, body) conforms to the description."""

import atexit
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import LiveServer

# A high rate limit, or the fuzzer mostly meets 429s; the limit itself is tested elsewhere.
server = LiveServer(
    {"INSTANCE_DIR": tempfile.mkdtemp(prefix="mbr-fuzz-"), "PUSH_RATE_LIMIT": 100_000,
     "AUTH_FAILURE_RATE_LIMIT": 100_000}
).start()
atexit.register(server.stop)
schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_description(case):
    case.call_and_validate(base_url=server.url)
