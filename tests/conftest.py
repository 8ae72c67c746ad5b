from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints"
MINIMAL = BLUEPRINTS / "minimal.yaml"
GLOBAL = BLUEPRINTS / "global.yaml"
BAD = Path(__file__).resolve().parent / "bad"
