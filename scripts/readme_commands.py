"""Print the README's set-up commands, one per line, exactly as a new user would type them.

They are the shell lines of the first ```sh block under the "Set up" heading, without their
trailing comments. `.ci/run` executes them in a pristine copy of the tree, so the README's front
door is what CI tests (issue 10: it broke once while CI stayed green).

Usage: python3 scripts/readme_commands.py [README.md]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def setup_commands(readme: str) -> list[str]:
    """The commands of the first ``sh`` code block after the ``## Set up`` heading."""
    heading = re.search(r"^## Set up.*$", readme, flags=re.MULTILINE)
    if heading is None:
        raise ValueError("README has no '## Set up' heading")
    block = re.search(r"^```sh\n(.*?)^```", readme[heading.end() :], flags=re.MULTILINE | re.DOTALL)
    if block is None:
        raise ValueError("no ```sh block under the '## Set up' heading")
    commands = []
    for line in block.group(1).splitlines():
        command = line.split("#", 1)[0].strip()
        if command:
            commands.append(command)
    return commands


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    for command in setup_commands(path.read_text(encoding="utf-8")):
        print(command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
