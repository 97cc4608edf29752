#!/usr/bin/env python3
"""Checks the control plane's module graph against the table in cmake/modules.cmake.

Every `#include "server/<module>/..."` in a file under src/server/<X>/ must name X itself or a module the
table declares for X; every folder under src/server must be a declared module; and the declared graph
must be acyclic. CMake runs this at configure time, as a build step and as the ctest unit_module_graph;
the table arrives as JSON ({"module": ["dep", ...], ...}) written by cmake/modules.cmake.

Exit status 0 when the tree is clean, 1 with one line per problem on stderr otherwise.
"""

import argparse
import json
import os
import re
import sys

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"server/([A-Za-z0-9_]+)/[^"]*"', re.MULTILINE)
SOURCE_SUFFIXES = (".hpp", ".cpp", ".h", ".cc", ".in")


def find_cycle(table):
    """Returns one cycle as a list of modules (first == last), or None."""
    state = {}  # module -> "visiting" | "done"
    stack = []

    def visit(module):
        state[module] = "visiting"
        stack.append(module)
        for dep in table.get(module, []):
            if state.get(dep) == "visiting":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(table):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def check_table(table):
    problems = []
    for module, deps in sorted(table.items()):
        for dep in deps:
            if dep not in table:
                problems.append(f"cmake/modules.cmake: {module} depends on undeclared module '{dep}'")
            elif dep == module:
                problems.append(f"cmake/modules.cmake: {module} lists itself as a dependency")
    cycle = find_cycle({m: [d for d in deps if d in table and d != m] for m, deps in table.items()})
    if cycle:
        problems.append("cmake/modules.cmake: dependency cycle " + " -> ".join(cycle))
    return problems


def check_tree(table, root):
    problems = []
    for entry in sorted(os.listdir(root)):
        folder = os.path.join(root, entry)
        if not os.path.isdir(folder):
            continue
        if entry not in table:
            problems.append(f"src/server/{entry}/: not a module declared in cmake/modules.cmake")
            continue
        allowed = set(table[entry]) | {entry}
        for directory, _, files in os.walk(folder):
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as source:
                    text = source.read()
                for match in INCLUDE.finditer(text):
                    included = match.group(1)
                    if included in allowed:
                        continue
                    line = text.count("\n", 0, match.start()) + 1
                    relative = os.path.relpath(path, os.path.dirname(root))
                    if included not in table:
                        why = f"'{included}' is not a declared module"
                    else:
                        why = f"{entry} does not declare {included} (cmake/modules.cmake)"
                    problems.append(f"src/{relative}:{line}: includes server/{included}/: {why}")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="JSON written by cmake/modules.cmake")
    parser.add_argument("--root", required=True, help="the src/server folder")
    args = parser.parse_args(argv)
    with open(args.table, encoding="utf-8") as handle:
        table = json.load(handle)
    problems = check_table(table) + check_tree(table, args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
