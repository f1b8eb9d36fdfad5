"""Install the lesson's Jupyter settings into an environment (Binder's postBuild runs this).

Usage: python jupyter-config/install.py [PREFIX]   (default: this Python's sys.prefix)

Writes two files under PREFIX, where JupyterLab and Jupyter Server look for an environment's own
settings:

- ``share/jupyter/lab/settings/overrides.json``: closing a notebook's tab shuts down its kernel
  (JupyterLab's ``kernelShutdown``; its default leaves the kernel running). Merged into an
  overrides file that is already there.
- ``etc/jupyter/jupyter_server_config.json``: kernels idle for 30 minutes with no browser tab
  connected are shut down (Jupyter Server's kernel culling; a notebook still open in a tab keeps
  its kernel and the reader's state), so forgotten kernels do not fill Binder's 2 GB. Merged
  too (Jupyter Server reads general settings from this file only: its
  ``jupyter_server_config.d/`` folder is for enabling extensions).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OVERRIDES = Path("share/jupyter/lab/settings/overrides.json")
SERVER_CONFIG = Path("etc/jupyter/jupyter_server_config.json")


def _merge(source: Path, target: Path) -> Path:
    """Add ``source``'s sections (JSON objects of settings) to ``target``, keeping its others."""
    merged = json.loads(target.read_text()) if target.exists() else {}
    for section, settings in json.loads(source.read_text()).items():
        merged.setdefault(section, {}).update(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(merged, indent=2) + "\n")
    return target


def install(prefix: Path) -> list[Path]:
    """Merge the lab overrides and the server config into ``prefix``; return both paths."""
    return [_merge(HERE / "lab/settings/overrides.json", prefix / OVERRIDES),
            _merge(HERE / "jupyter_server_config.json", prefix / SERVER_CONFIG)]


if __name__ == "__main__":
    for path in install(Path(sys.argv[1] if len(sys.argv) > 1 else sys.prefix)):
        print(f"wrote {path}")
