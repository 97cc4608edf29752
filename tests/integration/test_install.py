"""packaging/install.sh exactly as `balctl member add` prints it, served by a real control plane and run
with --root into a temporary directory (no packages, no systemctl)."""
import os
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import AGENT, Server  # noqa: E402
from processes import temp_dir  # noqa: E402

INSTALL_SH = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "install.sh")


class InstallScriptTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.com")
        self.root = os.path.join(self.dir, "root")

    def printed_command(self, hostname="lb1"):
        return self.server.add_member("web", hostname, "192.0.2.1")["install_command"]

    def run_shell(self, command):
        return subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)

    def test_served_script_is_the_packaged_one(self):
        reply = self.server.request("GET", "/api/v1/agent/install.sh", token=None)
        self.assertEqual(reply.status, 200)
        with open(INSTALL_SH) as f:
            self.assertEqual(reply.raw, f.read())
        unit = self.server.request("GET", "/api/v1/agent/balctl-heartbeat.service", token=None)
        self.assertIn("ExecStart=/usr/bin/balctl-agent", unit.raw)
        binary = self.server.connection()
        binary.request("GET", "/api/v1/agent/download")
        response = binary.getresponse()
        with open(AGENT, "rb") as f:
            self.assertEqual(response.read(), f.read())
        binary.close()

    def test_printed_command_installs_and_enrols_idempotently(self):
        command = self.printed_command() + f" --root '{self.root}'"
        first = self.run_shell(command)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        binary = os.path.join(self.root, "usr/local/bin/balctl-agent")
        unit = os.path.join(self.root, "etc/systemd/system/balctl-heartbeat.service")
        env = os.path.join(self.root, "etc/balctl/agent.env")
        self.assertEqual(stat.S_IMODE(os.stat(binary).st_mode), 0o755)
        self.assertEqual(subprocess.run([binary, "--version"], capture_output=True).returncode, 0)
        with open(unit) as f:
            self.assertIn("ExecStart=/usr/local/bin/balctl-agent --config-dir /etc/balctl", f.read())
        self.assertEqual(stat.S_IMODE(os.stat(env).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.root, "var/lib/balctl")).st_mode), 0o700)
        self.assertTrue(self.server.member("web", "lb1")["enrolled"])
        # The pinned enrolment left a trusted copy of the server certificate for the agent.
        with open(env) as f:
            self.assertIn("BALCTL_CA_CERT=" + os.path.join(self.root, "etc/balctl/ca.pem"), f.read())

        second = self.run_shell(command)
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertIn("is up to date", second.stdout)
        self.assertIn("already enrolled", second.stdout)

        once = subprocess.run([binary, "--once", "--config-dir", os.path.join(self.root, "etc/balctl"),
                               "--state-dir", os.path.join(self.root, "var/lib/balctl")],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(once.returncode, 0, once.stderr)
        self.assertEqual(self.server.member("web", "lb1")["status"], "online")

    def test_dry_run_changes_nothing(self):
        result = self.run_shell(self.printed_command() + f" --root '{self.root}' --dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("would download", result.stdout)
        self.assertIn("would enrol", result.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.root, "usr")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc")))
        self.assertFalse(self.server.member("web", "lb1")["enrolled"])

    def test_bad_arguments_exit_2(self):
        for args in ("", "--api-base https://x --key k", "--api-base ftp://x --key k --hostname h",
                     "--api-base https://x --key k --hostname h --pin md5//x", "--bogus"):
            with self.subTest(args=args):
                result = subprocess.run(["sh", INSTALL_SH, *args.split()], capture_output=True, text=True)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn("usage:", result.stderr)

    def test_wrong_pin_installs_nothing(self):
        # curl refuses the server, so `sh` reads an empty script: nothing is installed, curl says why.
        command = self.printed_command().replace("sha256//", "sha256//AAAA", 1) + f" --root '{self.root}'"
        result = self.run_shell(command)
        self.assertIn("(90)", result.stderr)  # CURLE_SSL_PINNEDPUBKEYNOTMATCH
        self.assertFalse(os.path.exists(os.path.join(self.root, "usr")))
        self.assertFalse(self.server.member("web", "lb1")["enrolled"])


if __name__ == "__main__":
    unittest.main()
