"""Alerts to a real webhook endpoint and a real SMTP server requiring STARTTLS (aiosmtpd), driven by
real events (a failover, a member going offline), with signatures, retries and de-duplication."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server, wait_until  # noqa: E402
from processes import temp_dir  # noqa: E402
from sinks import SmtpSink, WebhookReceiver, verify_signature  # noqa: E402


class AlertTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.hook = WebhookReceiver()
        self.addCleanup(self.hook.cleanup)
        self.server.create_pool("web", "lb.example.com", delay=3)
        self.secret_a = self.server.enrolled_member("web", "lb1", "127.0.0.2")
        self.server.enrolled_member("web", "lb2", "127.0.0.3")

    def add(self, *args):
        result = self.server.cli("alert", "add", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def test_signed_json_webhook_on_failover(self):
        self.add("ops", "--webhook", self.hook.url, "--secret", "s3cr3t")
        self.assertEqual(self.server.cli("failover", "web", "--to", "lb2", "--force").returncode, 0)
        request = self.hook.wait_for("failover")[0]
        body = json.loads(request["body"])
        self.assertEqual((body["kind"], body["pool"], body["member"]), ("failover", "web", "lb2"))
        self.assertIn("lb.example.com now points at lb2", body["message"])
        self.assertTrue(body["at"].endswith("Z"))
        self.assertTrue(verify_signature(request, "s3cr3t"))
        self.assertFalse(verify_signature(request, "other"))
        self.assertLess(abs(int(request["headers"]["X-Balctl-Timestamp"]) - time.time()), 30)

    def test_slack_body_and_member_offline(self):
        self.add("chat", "--webhook", self.hook.url, "--slack")
        self.assertEqual(self.server.heartbeat(self.secret_a).status, 200)
        request = self.hook.wait_for("member_offline", timeout=12)[0]
        body = json.loads(request["body"])
        self.assertEqual(list(body), ["text"])
        self.assertIn("member_offline in pool web (lb1)", body["text"])
        self.assertNotIn("X-Balctl-Signature", request["headers"])

    def test_email_over_starttls(self):
        smtp = SmtpSink(os.path.join(self.dir, "smtp"))
        self.addCleanup(smtp.cleanup)
        self.add("mail", "--email", "ops@example.com,oncall@example.com", "--smtp", smtp.url, "--from",
                 "balctl@example.com", "--ca-cert", smtp.cert)
        result = self.server.cli("alert", "test", "mail")
        self.assertEqual(result.returncode, 0, result.stderr)
        message = wait_until(lambda: smtp.messages, 10, what="test email")[0]
        self.assertTrue(message["tls"], "delivered after STARTTLS")
        self.assertEqual(sorted(message["to"]), ["oncall@example.com", "ops@example.com"])
        self.assertIn("Subject: [balctl] test", message["data"])
        self.server.cli("failover", "web", "--to", "lb2", "--force")
        wait_until(lambda: any("Subject: [balctl] failover" in m["data"] for m in smtp.messages), 10,
                   what="failover email")

    def test_untrusted_smtp_certificate_fails_clearly(self):
        smtp = SmtpSink(os.path.join(self.dir, "smtp"))
        self.addCleanup(smtp.cleanup)
        self.add("mail", "--email", "ops@example.com", "--smtp", smtp.url, "--from", "balctl@example.com")
        result = self.server.cli("alert", "test", "mail")
        self.assertEqual(result.returncode, 1)
        self.assertIn("test alert not delivered", result.stderr)
        self.assertEqual(smtp.messages, [])

    def test_failed_deliveries_are_retried_with_backoff(self):
        self.add("ops", "--webhook", self.hook.url)
        self.hook.fail_next = 2
        self.server.cli("failover", "web", "--to", "lb2", "--force")
        self.hook.wait_for("failover", timeout=15)
        attempts = [r for r in self.hook.requests if '"kind":"failover",' in r["body"]]
        self.assertEqual([a["failed"] for a in attempts], [True, True, False])
        self.assertIn("alert_retry", self.server.log_text())

    def test_duplicates_are_held_back_and_counted(self):
        self.add("ops", "--webhook", self.hook.url)
        for target in ("lb2", "lb1", "lb2"):
            self.assertEqual(self.server.cli("failover", "web", "--to", target, "--force").returncode, 0)
        time.sleep(1)
        alerts = self.hook.delivered("failover")
        members = sorted(json.loads(a["body"])["member"] for a in alerts)
        # Same (kind, pool, member) within a minute is sent once: lb2 once, lb1 once.
        self.assertEqual(members, ["lb1", "lb2"])

    def test_bad_channels_are_refused(self):
        cases = [
            ({"name": "x", "kind": "pager"}, "kind"),
            ({"name": "X Y", "kind": "webhook", "url": self.hook.url}, "name"),
            ({"name": "x", "kind": "webhook", "url": "ftp://x"}, "url"),
            ({"name": "x", "kind": "webhook", "url": self.hook.url, "format": "xml"}, "format"),
            ({"name": "x", "kind": "email", "smtp_url": "http://x", "from": "a@b.c", "to": ["d@e.f"]}, "smtp_url"),
            ({"name": "x", "kind": "email", "smtp_url": "smtp://x", "from": "nobody", "to": ["d@e.f"]}, "from"),
            ({"name": "x", "kind": "email", "smtp_url": "smtp://x", "from": "a@b.c", "to": []}, "to"),
            ({"name": "x", "kind": "email", "smtp_url": "smtp://x", "from": "a@b.c", "to": ["bad address"]}, "to"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                reply = self.server.request("POST", "/api/v1/alerts", body)
                self.assertEqual((reply.status, reply.error_field), (400, field), reply)
        self.add("ops", "--webhook", self.hook.url, "--secret", "hidden")
        reply = self.server.request("POST", "/api/v1/alerts", {"name": "ops", "kind": "webhook", "url": self.hook.url})
        self.assertEqual((reply.status, reply.error_code), (409, "alert_channel_exists"))
        listed = self.server.request("GET", "/api/v1/alerts").json["channels"]
        self.assertEqual(listed[0]["secret"], "***")
        self.assertNotIn("hidden", self.server.cli("alert", "list").stdout)
        self.assertEqual(self.server.cli("alert", "add", "x").returncode, 2)
        self.assertEqual(self.server.cli("alert", "remove", "ops").returncode, 0)
        self.assertEqual(self.server.cli("alert", "test", "ops").returncode, 1)


if __name__ == "__main__":
    unittest.main()
