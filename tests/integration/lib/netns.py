"""Network namespaces for tests: create and delete named ones (`ip netns`), run commands in them, and move
the calling thread into one (setns(2) through ctypes: Python 3.11 has no os.setns).

Names carry the creating process's PID (`PREFIX<pid>-<node>`), so namespaces left by a test that was
killed before it could clean up are recognised and removed by the next run (`sweep_stale`)."""
import ctypes
import os
import re
import signal
import subprocess

PREFIX = "bft"
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
_STALE = re.compile(rf"^{PREFIX}(\d+)-")
_libc = ctypes.CDLL(None, use_errno=True)


def name_for(node):
    return f"{PREFIX}{os.getpid()}-{node}"


def ip(*args, timeout=10):
    """Runs `ip ARGS`; raises with ip's own message when it fails."""
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def add(name):
    ip("netns", "add", name)
    ip("-n", name, "link", "set", "lo", "up")


def pids(name):
    result = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, timeout=10)
    return [int(pid) for pid in result.stdout.split()] if result.returncode == 0 else []


def delete(name):
    """Kills what still runs in the namespace (only processes this suite started end up there) and
    deletes it. Quiet when it is already gone."""
    for pid in pids(name):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def sweep_stale():
    """Deletes namespaces of this rig whose creating process is gone (a run killed by a timeout)."""
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return
    for name in names:
        match = _STALE.match(name)
        if match and not _alive(int(match.group(1))):
            delete(name)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command(name, argv):
    """argv run inside namespace `name` (or as it is when name is None). The process is killed when the
    test process dies, so a killed run leaves nothing listening."""
    if name is None:
        return list(argv)
    return ["setpriv", "--pdeathsig", "KILL", "ip", "netns", "exec", name, *argv]


class Entered:
    """Moves the calling thread (and every process it starts from then on) into a namespace until
    `leave()`. Sockets keep the namespace they were created in."""

    def __init__(self, name):
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        _setns(os.path.join(NETNS_DIR, name))

    def leave(self):
        if self._home is None:
            return
        try:
            if _libc.setns(self._home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original namespace")
        finally:
            os.close(self._home)
            self._home = None


def _setns(path):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns {path}: {os.strerror(errno)}")
    finally:
        os.close(fd)


def can_create():
    """Why this machine cannot run namespace tests, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, TUN devices)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    return None
