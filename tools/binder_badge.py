"""Print (or write into README.md) the Binder badge for this repository, from its git remote.

    python tools/binder_badge.py            # the badge for `git remote get-url origin`
    python tools/binder_badge.py --write    # put it between README's binder markers
    python tools/binder_badge.py https://github.com/alice/gemstones.git

The badge opens notebook 01 in JupyterLab on mybinder.org, built from the default branch.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- binder badge -->", "<!-- /binder badge -->"
NOTEBOOK = "notebooks/01_data_exploration.ipynb"
GITHUB = re.compile(r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
                    r"(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")


def binder_url(remote: str) -> str:
    """The mybinder.org launch address for a GitHub remote (https or ssh form)."""
    match = GITHUB.match(remote.strip())
    if match is None:
        raise ValueError(f"{remote!r} is not a GitHub repository address; Binder's badge needs one "
                         "(https://github.com/OWNER/REPO or git@github.com:OWNER/REPO.git)")
    return (f"https://mybinder.org/v2/gh/{match['owner']}/{match['repo']}/HEAD"
            f"?urlpath=lab/tree/{NOTEBOOK}")


def badge(remote: str) -> str:
    """The Markdown badge for a GitHub remote."""
    return f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({binder_url(remote)})"


def write(readme: Path, markdown: str) -> None:
    """Replace what lies between README's binder markers with ``markdown``."""
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no '{START}' ... '{END}' markers; add them where the badge goes")
    head, rest = text.split(START, 1)
    readme.write_text(head + START + markdown + rest[rest.index(END):])


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--write"]
    remote = args[0] if args else subprocess.run(
        ["git", "remote", "get-url", "origin"], capture_output=True, text=True, cwd=README.parent
    ).stdout.strip()
    if not remote:
        print("error: this clone has no 'origin' remote; pass the GitHub address", file=sys.stderr)
        return 2
    try:
        markdown = badge(remote)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "--write" in argv:
        write(README, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
