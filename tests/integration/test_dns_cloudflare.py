"""Cloudflare API v4 against a stand-in that validates every request and its own replies against the
official OpenAPI extract (lib/contract_cloudflare.py): real `balctl serve`, failovers through the API,
duplicates, pagination, rate limits, auth errors, and how often verification reads the record."""
import glob
import json
import os
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from contract_cloudflare import Cloudflare, spec  # noqa: E402
from harness import wait_until  # noqa: E402
from test_dns_api_providers import ProviderFixture  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "dns")
RECORDS = f"/zones/{Cloudflare.ZONE_ID}/dns_records"


class CloudflareTest(ProviderFixture, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.cf = Cloudflare()
        self.addCleanup(self.cf.cleanup)

    def body(self, **overrides):
        return dict({"provider": "cloudflare", "api_url": self.cf.api_url, "zone_id": Cloudflare.ZONE_ID,
                     "api_token": Cloudflare.TOKEN}, **overrides)

    def assert_no_violations(self):
        self.assertEqual(self.cf.violations, [])
        for request in self.cf.requests:
            self.assertEqual(request["headers"]["Authorization"], f"Bearer {Cloudflare.TOKEN}")
            if request["method"] == "GET" and request["path"].endswith("/dns_records"):
                self.assertEqual((request["query"].get("name"), request["query"].get("type")),
                                 (["lb.example.test"], ["A"]), "lists filter by name and type")

    def test_failover_patches_the_record_and_keeps_comment_and_tags(self):
        (record_id,) = self.cf.records
        self.cf.records[record_id].update(comment="web front, managed by balctl",
                                          tags=["owner:ops", "env:prod"])
        result = self.server.cli("dns", "set", "web", "--provider", "cloudflare",
                                 "--api-url", self.cf.api_url, "--zone-id", Cloudflare.ZONE_ID,
                                 "--api-token", Cloudflare.TOKEN)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cf.answer(), ["127.0.0.3"])
        writes = [r for r in self.cf.requests if r["method"] != "GET"]
        self.assertEqual([w["method"] for w in writes], ["PATCH"],
                         "PATCH, never PUT, which drops comment and tags")
        self.assertIn('"ttl":60', writes[0]["body"], "TTL 30 is raised to Cloudflare's minimum")
        self.assertEqual(self.cf.records[record_id]["comment"], "web front, managed by balctl")
        self.assertEqual(self.cf.records[record_id]["tags"], ["owner:ops", "env:prod"])
        self.assert_no_violations()

    def test_missing_record_is_created_proxied(self):
        self.cf.records.clear()
        self.bind(self.body(proxied=True))
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cf.answer(), ["127.0.0.3"])
        created = self.cf.calls("POST")
        self.assertEqual(len(created), 1)
        self.assertIn('"ttl":1', created[0]["body"], "a proxied record must use TTL 1 (automatic)")
        self.assertIn('"proxied":true', created[0]["body"])
        self.assert_no_violations()

    def test_target_already_on_a_non_first_record(self):
        """Overwriting the first record with the target is refused (81058 "An identical record already
        exists") and the failover never completed: the record holding the target is kept, the rest go."""
        self.bind(self.body())
        target = self.cf.add("127.0.0.3", comment="standby")
        self.cf.add("127.0.0.77")
        self.cf.delete_reply_minimal = True  # the schema's DELETE reply: {"result": {"id": ...}}, no success
        result = self.failover()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.cf.answer(), ["127.0.0.3"])
        self.assertEqual(list(self.cf.records), [target])
        self.assertEqual(self.cf.records[target]["comment"], "standby")
        self.assertEqual(len(self.cf.calls("DELETE")), 2)
        self.assertEqual(self.cf.calls("PATCH") + self.cf.calls("PUT") + self.cf.calls("POST"), [],
                         "the kept record already has the right TTL")
        self.assertFalse(self.events("failover_failed"))
        self.assert_no_violations()

    def test_a_record_deleted_meanwhile_is_not_an_error(self):
        """An extra record someone else deletes between balctl's list and its DELETE answers 404 code 81044:
        it is gone, which is what balctl wanted."""
        self.bind(self.body())
        extra = self.cf.add("127.0.0.77")
        original = self.cf._answer

        def deleted_first(method, path, query, headers, body):
            if method == "DELETE" and path.endswith(extra) and extra in self.cf.records:
                del self.cf.records[extra]
            return original(method, path, query, headers, body)

        self.cf._answer = deleted_first
        result = self.failover()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.cf.answer(), ["127.0.0.3"])
        self.assertFalse(self.events("failover_failed"))
        self.assert_no_violations()

    def test_more_than_one_page_of_records(self):
        self.bind(self.body())
        for i in range(104):
            self.cf.add(f"127.0.1.{i}")
        target = self.cf.add("127.0.0.3")  # on page 2
        for i in range(150):
            self.cf.add(f"127.0.2.{i}", name=f"other{i}.example.test")
        result = self.server.cli("dns", "check", "web", "--json")
        self.assertIn("127.0.1.103", result.stdout, "records of page 2 are read")
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cf.answer(), ["127.0.0.3"])
        self.assertEqual(list(r for r in self.cf.records if self.cf.records[r]["name"] == "lb.example.test"),
                         [target])
        pages = {r["query"].get("page", ["1"])[0] for r in self.cf.calls("GET")}
        self.assertEqual(pages, {"1", "2"})
        self.assertEqual(len(self.cf.calls("DELETE")), 105)
        self.assert_no_violations()

    def test_short_retry_after_is_waited_out(self):
        self.bind(self.body())
        self.cf.rate_limit_next, self.cf.retry_after = 1, 2
        started = time.monotonic()
        result = self.failover()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.cf.answer(), ["127.0.0.3"])
        self.assertGreaterEqual(time.monotonic() - started, 2.0)
        self.assertFalse(self.events("failover_failed"), "a 2 s Retry-After is not a failed attempt")
        self.assert_no_violations()

    def test_long_retry_after_fails_the_attempt_saying_how_long(self):
        self.bind(self.body())
        self.cf.rate_limit_next, self.cf.retry_after = 1, 300
        self.failover("--no-wait")
        failed = wait_until(lambda: self.events("failover_failed"), 10, what="rate limited attempt")
        self.assertIn("rate limited for 300 s", failed[0]["message"])
        self.assertIn("Rate limited. Please wait", failed[0]["message"], "Cloudflare's own words")
        wait_until(lambda: self.cf.answer() == ["127.0.0.3"], 10, what="the next attempt")
        self.assert_no_violations()

    def test_rate_limit_without_retry_after_is_retried(self):
        self.bind(self.body())
        self.cf.rate_limit_next = 1
        self.failover("--no-wait")
        failed = wait_until(lambda: self.events("failover_failed"), 10, what="rate limited attempt")
        self.assertIn("rate limiting", failed[0]["message"])
        wait_until(lambda: self.cf.answer() == ["127.0.0.3"], 10, what="retry after the rate limit")
        self.assert_no_violations()

    def test_auth_errors_keep_cloudflares_words(self):
        message = self.refused_binding(self.body(api_token="wrong"))
        self.assertIn("refused our credentials (HTTP 403: 10000 Authentication error)", message)
        self.cf.auth_failure = (401, 10001, "Unable to authenticate request")
        message = self.refused_binding(self.body())
        self.assertIn("refused our credentials (HTTP 401: 10001 Unable to authenticate request)", message)
        self.assertEqual(self.cf.answer(), ["127.0.0.2"])
        self.assertEqual(self.cf.violations, [])

    def test_bad_zone_id_and_plain_http(self):
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", self.body(zone_id="not-a-zone-id"))
        self.assertEqual((reply.status, reply.error_field), (400, "zone_id"))
        reply = self.server.request("PUT", "/api/v1/pools/web/dns",
                                    self.body(api_url="http://cf.example.com/v4"))
        self.assertEqual((reply.status, reply.error_field), (400, "api_url"), "plain http only on loopback")

    def test_verification_reads_back_off(self):
        """Cloudflare allows 1 200 requests per 5 minutes; verification used to read every 20 ms (~150
        reads in 3 s). While the record still answers the old address, reads now back off."""
        self.bind(self.body())
        self.cf.stale_reads_s = 3
        result = self.failover()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        write = [r for r in self.cf.requests if r["method"] != "GET"][0]
        reads = [r for r in self.cf.calls("GET") if r["at"] > write["at"]]
        print(f"\nverification_reads={len(reads)} verify_s={reads[-1]['at'] - write['at']:.2f}")
        self.assertGreater(len(reads), 1, "the stand-in answered the old address for 3 s")
        self.assertLessEqual(len(reads), 10)
        self.assertGreaterEqual(reads[-1]["at"] - write["at"], 3.0)
        self.assert_no_violations()


class CloudflareStandInTest(unittest.TestCase):
    """The stand-in itself: what the schema refuses is a violation and a 400, and the unit tests'
    fixtures have the schema's shapes."""

    def setUp(self):
        self.cf = Cloudflare()
        self.addCleanup(self.cf.cleanup)

    def call(self, method, path, body=None, content_type="application/json"):
        request = urllib.request.Request(self.cf.api_url + path, method=method,
                                         data=None if body is None else body.encode())
        request.add_header("Authorization", f"Bearer {Cloudflare.TOKEN}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def test_requests_outside_the_schema_are_refused_and_recorded(self):
        (record_id,) = self.cf.records
        cases = [("GET", RECORDS + "?name=lb.example.test&sort=asc", None, "query parameter sort"),
                 ("GET", RECORDS + "?page=first", None, "is not a number"),
                 ("PUT", f"{RECORDS}/{record_id}", json.dumps({"content": "127.0.0.9"}),
                  "'type' is a required"),
                 ("PATCH", f"{RECORDS}/{record_id}",
                  json.dumps({"type": "A", "name": "lb.example.test", "content": "127.0.0.9", "ttl": 20}),
                  "not valid"),
                 ("POST", RECORDS, json.dumps({"type": "A", "name": "x", "content": "1.2.3.4",
                                               "created_on": "2024-01-01T00:00:00Z"}),
                  "read-only created_on"),
                 ("POST", RECORDS, json.dumps({"type": "A", "name": "lb.example.test", "content": "127.0.0"}),
                  "not valid"),  # format: ipv4
                 ("DELETE", f"{RECORDS}/{record_id}", None, "request body is required"),
                 ("DELETE", f"{RECORDS}/{'a' * 33}", "{}", "is too long")]
        for method, path, body, expected in cases:
            before = len(self.cf.violations)
            status, reply = self.call(method, path, body)
            self.assertEqual(status, 400, (method, path))
            self.assertFalse(reply["success"])
            self.assertTrue(any(expected in v for v in self.cf.violations[before:]),
                            (expected, self.cf.violations))
        self.assertEqual(self.cf.answer(), ["127.0.0.2"], "nothing refused was applied")

    def test_identical_record_is_refused_like_cloudflare(self):
        other = self.cf.add("127.0.0.3")
        body = json.dumps({"type": "A", "name": "lb.example.test", "content": "127.0.0.2"})
        status, reply = self.call("PATCH", f"{RECORDS}/{other}", body)
        self.assertEqual((status, reply["errors"][0]["code"]), (400, 81058))
        self.assertEqual(self.cf.violations, [])

    def test_fixtures_have_the_schema_shapes(self):
        api = spec()
        names = sorted(glob.glob(os.path.join(FIXTURES, "cloudflare_*.json")))
        self.assertGreater(len(names), 8)
        for name in names:
            base = os.path.basename(name)[len("cloudflare_"):]
            with open(name) as f:
                body = json.load(f)
            if base.startswith("list_"):
                problems = api.check_response("GET", RECORDS, 200, body)
            elif base.startswith("record_"):
                problems = api.check_response("PATCH", f"{RECORDS}/abc", 200, body)
            elif base.startswith("delete_"):
                problems = api.check_response("DELETE", f"{RECORDS}/abc", 200, body)
            else:
                problems = api.check_response("PATCH", f"{RECORDS}/abc", 400, body)
            self.assertEqual(problems, [], base)
        broken = {"success": True, "errors": [], "messages": [], "result": [{"id": "x", "type": "A"}]}
        self.assertTrue(api.check_response("GET", RECORDS, 200, broken), "a record without content is caught")


if __name__ == "__main__":
    unittest.main()
