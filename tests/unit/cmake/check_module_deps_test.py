"""Tests of cmake/check_module_deps.py on tiny fake src/server trees."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.environ.get("BALCTL_CHECKER") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "cmake", "check_module_deps.py")


class FakeTree:
    """A temporary src/server with the given files and a table, checked by running the real script."""

    def __init__(self, table, files):
        self.dir = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.dir.name, "src", "server")
        os.makedirs(self.root)
        for path, text in files.items():
            full = os.path.join(self.root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as handle:
                handle.write(text)
        for module in table:
            os.makedirs(os.path.join(self.root, module), exist_ok=True)
        self.table = os.path.join(self.dir.name, "modules.json")
        with open(self.table, "w", encoding="utf-8") as handle:
            json.dump(table, handle)

    def check(self):
        run = subprocess.run([sys.executable, CHECKER, "--table", self.table, "--root", self.root],
                             capture_output=True, text=True, check=False)
        return run.returncode, run.stderr

    def close(self):
        self.dir.cleanup()


class CheckModuleDepsTest(unittest.TestCase):
    def check(self, table, files):
        tree = FakeTree(table, files)
        self.addCleanup(tree.close)
        return tree.check()

    def test_declared_includes_pass(self):
        status, errors = self.check({"store": [], "fleet": ["store"]}, {
            "store/records.hpp": "#pragma once\n",
            "fleet/registry.hpp": '#include "server/store/records.hpp"\n#include "server/fleet/x.hpp"\n',
        })
        self.assertEqual((status, errors), (0, ""))

    def test_undeclared_include_fails_naming_file_and_line(self):
        status, errors = self.check({"store": [], "fleet": []}, {
            "fleet/registry.cpp": '#include <vector>\n\n#include "server/store/records.hpp"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("src/server/fleet/registry.cpp:3: includes server/store/", errors)
        self.assertIn("fleet does not declare store", errors)

    def test_transitive_dependency_is_not_enough(self):
        status, errors = self.check({"store": [], "events": ["store"], "api": ["events"]}, {
            "api/views.hpp": '#include "server/store/store.hpp"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("api does not declare store", errors)

    def test_cycle_in_table_fails(self):
        status, errors = self.check({"fleet": ["liveness"], "liveness": ["fleet"], "store": []}, {})
        self.assertEqual(status, 1)
        self.assertRegex(errors, r"dependency cycle (fleet -> liveness -> fleet|liveness -> fleet -> liveness)")

    def test_longer_cycle_fails(self):
        status, errors = self.check({"a": ["b"], "b": ["c"], "c": ["a"]}, {})
        self.assertEqual(status, 1)
        self.assertIn("dependency cycle", errors)

    def test_undeclared_folder_and_module_fail(self):
        status, errors = self.check({"store": []}, {
            "jobs/outbox.hpp": "#pragma once\n",
            "store/sqlite.cpp": '#include "server/metrics/history.hpp"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("src/server/jobs/: not a module declared", errors)
        self.assertIn("'metrics' is not a declared module", errors)

    def test_dependency_on_unknown_module_fails(self):
        status, errors = self.check({"store": ["sqlite"]}, {})
        self.assertEqual(status, 1)
        self.assertIn("store depends on undeclared module 'sqlite'", errors)

    def test_nested_folders_and_spacing_are_seen(self):
        status, errors = self.check({"store": [], "dns": []}, {
            "dns/providers/cloudflare.cpp": '  #  include "server/store/store.hpp"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("src/server/dns/providers/cloudflare.cpp:1:", errors)

    def test_angle_includes_and_comments_of_other_text_are_ignored(self):
        status, errors = self.check({"store": [], "dns": []}, {
            "dns/a.cpp": '#include <server/store/store.hpp>\n// see "server/store/store.hpp"\n',
        })
        self.assertEqual((status, errors), (0, ""))


if __name__ == "__main__":
    unittest.main()
