"""Real authoritative DNS servers for tests: BIND (named), Knot (knotd) and PowerDNS (pdns_server), each
serving zone example.test on 127.0.0.1 with its own port, and `dig` to ask them."""
import base64
import os
import shutil
import signal
import subprocess
import time

from harness import free_port, wait_until

ZONE = "example.test"
KEY_NAME = "balctl-key"
SECRET = base64.b64encode(b"balctl test tsig secret 32 bytes").decode()


def zone_file(initial_a="127.0.0.2", serial=1):
    return (f"$ORIGIN {ZONE}.\n$TTL 300\n"
            f"@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. {serial} 3600 600 86400 30\n"
            f"@ IN NS ns1.{ZONE}.\nns1 IN A 127.0.0.1\nlb IN A {initial_a}\n")


def dig(port, name, rtype="A", server="127.0.0.1", timeout=1):
    """What the authority answers (sorted), or None when it does not answer."""
    result = subprocess.run(["dig", "+short", "+norecurse", f"+time={timeout}", "+tries=1", "-p", str(port),
                             f"@{server}", name, rtype], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return sorted(line for line in result.stdout.split() if line)


def soa_serial(port, server="127.0.0.1"):
    answer = subprocess.run(["dig", "+short", "+norecurse", "-p", str(port), f"@{server}", ZONE, "SOA"],
                            capture_output=True, text=True).stdout.split()
    return int(answer[2]) if len(answer) >= 3 else None


class _Process:
    name = "dns"

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.process = None

    def _spawn(self, args):
        self.log = open(os.path.join(self.dir, f"{self.name}.log"), "ab")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: self._alive() and dig(self.port, f"ns1.{ZONE}") == ["127.0.0.1"], 15,
                   what=f"{self.name} serving {ZONE}")
        return self

    def _alive(self):
        if self.process.poll() is not None:
            with open(os.path.join(self.dir, f"{self.name}.log"), "rb") as f:
                raise AssertionError(f"{self.name} exited: {f.read().decode(errors='replace')[-2000:]}")
        return True

    def stop(self):
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        self.log.close()

    def cleanup(self):
        self.stop()

    def answer(self, name=f"lb.{ZONE}"):
        return dig(self.port, name)

    def change_record(self, address, name=f"lb.{ZONE}", secret=SECRET):
        """Someone else edits the record (a colleague, a script): a TSIG-signed update with nsupdate."""
        commands = (f"server 127.0.0.1 {self.port}\nzone {ZONE}\nupdate delete {name}. A\n"
                    f"update add {name}. 30 A {address}\nsend\n")
        subprocess.run(["nsupdate", "-y", f"hmac-sha256:{KEY_NAME}:{secret}"], input=commands, text=True,
                       check=True, capture_output=True, timeout=10)

    def binding(self, key_name=KEY_NAME, secret=SECRET, zone=ZONE, port=None):
        return {"provider": "rfc2136", "server": "127.0.0.1", "port": port or self.port, "zone": zone,
                "tsig_name": key_name, "tsig_algorithm": "hmac-sha256", "tsig_secret": secret}


class Bind(_Process):
    name = "named"

    def start(self, initial_a="127.0.0.2", secret=SECRET):
        """secret: the TSIG secret the server knows (another one simulates a key rotated on the server)."""
        with open(os.path.join(self.dir, f"{ZONE}.db"), "w") as f:
            f.write(zone_file(initial_a))
        for journal in (f"{ZONE}.db.jnl",):
            if os.path.exists(os.path.join(self.dir, journal)):
                os.unlink(os.path.join(self.dir, journal))
        with open(os.path.join(self.dir, "named.conf"), "w") as f:
            f.write(f"""options {{
    directory "{self.dir}";
    pid-file "{self.dir}/named.pid";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    allow-query {{ any; }};
    notify no;
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm hmac-sha256; secret "{secret}"; }};
zone "{ZONE}" {{ type primary; file "{self.dir}/{ZONE}.db"; allow-update {{ key "{KEY_NAME}"; }}; }};
""")
        return self._spawn(["named", "-g", "-4", "-c", os.path.join(self.dir, "named.conf")])


class Knot(_Process):
    name = "knotd"

    def start(self, initial_a="127.0.0.2", secret=SECRET):
        with open(os.path.join(self.dir, f"{ZONE}.zone"), "w") as f:
            f.write(zone_file(initial_a))
        shutil.rmtree(os.path.join(self.dir, "db"), ignore_errors=True)
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write(f"""server:
    listen: 127.0.0.1@{self.port}
    rundir: {self.dir}
database:
    storage: {self.dir}/db
log:
  - target: stderr
    any: info
key:
  - id: {KEY_NAME}
    algorithm: hmac-sha256
    secret: {secret}
acl:
  - id: balctl_update
    key: {KEY_NAME}
    action: update
zone:
  - domain: {ZONE}
    storage: {self.dir}
    file: {ZONE}.zone
    acl: balctl_update
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
""")
        return self._spawn(["knotd", "-c", os.path.join(self.dir, "knot.conf")])


class PowerDns(_Process):
    name = "pdns"
    API_KEY = "balctl-pdns-test-key"

    def start(self, initial_a="127.0.0.2"):
        self.api_port = free_port()
        database = os.path.join(self.dir, "pdns.sqlite3")
        if os.path.exists(database):
            os.unlink(database)
        schema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"
        subprocess.run(["sqlite3", database], stdin=open(schema), check=True)
        with open(os.path.join(self.dir, "pdns.conf"), "w") as f:
            f.write(f"""launch=gsqlite3
gsqlite3-database={database}
local-address=127.0.0.1
local-port={self.port}
webserver=yes
webserver-address=127.0.0.1
webserver-port={self.api_port}
webserver-allow-from=127.0.0.0/8
api=yes
api-key={self.API_KEY}
socket-dir={self.dir}
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
""")
        config = ["--config-dir=" + self.dir]
        subprocess.run(["pdnsutil", *config, "create-zone", ZONE, f"ns1.{ZONE}"], check=True, capture_output=True)
        subprocess.run(["pdnsutil", *config, "add-record", ZONE, "ns1", "A", "127.0.0.1"], check=True,
                       capture_output=True)
        subprocess.run(["pdnsutil", *config, "add-record", ZONE, "lb", "A", "30", initial_a], check=True,
                       capture_output=True)
        return self._spawn(["pdns_server", *config])

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.api_port}"

    def binding(self, api_key=None, zone=ZONE):
        return {"provider": "powerdns", "api_url": self.api_url, "server_id": "localhost", "zone": zone,
                "api_key": api_key or self.API_KEY, "verify_server": f"127.0.0.1:{self.port}"}
