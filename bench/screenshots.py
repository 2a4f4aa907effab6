"""Screenshots of each explorer view, taken from the real page in Chromium, for the README.

Writes the page for the shipped knowledge graph (and one with a sample team), opens it from
file:// in Debian's headless Chromium (/usr/bin/chromium through playwright) at 1280x800, drives
it to each view the way a reader would (a click on a hat, the comparison, the heatmap, a workflow's
third step, the team) and saves docs/img/explorer-<view>.png. The page makes no request; a page
error or a console error stops the script. Run with `make screenshots`.

Usage:
    .venv/bin/python bench/screenshots.py [--out docs/img]

Importing this module has no side effect.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
TEAM = """team: marketplace data team
size: small
people:
  - name: Ana
    hats: [data scientist, data engineer]
  - name: Ben
    hats: data analyst
"""
ROOT = Path(__file__).resolve().parent.parent


def _hat(page, iri: str) -> dict:
    """The DOM point of a node, for a real mouse click."""
    point = page.evaluate("(iri) => explorer.network.canvasToDOM(explorer.network.getPosition(explorer.nodeByIri(iri)))", iri)
    box = page.locator("#network").bounding_box()
    return {"x": box["x"] + point["x"], "y": box["y"] + point["y"]}


def shots(page, team_page, out: Path) -> list[Path]:
    """Drive the page through each view and save one picture per view; returns the files written."""
    written = []

    def save(name: str, target=None):
        path = out / f"explorer-{name}.png"
        (target or page).screenshot(path=str(path))
        written.append(path)

    base = "https://w3id.org/datateam-kg/role/"
    save("hats")
    point = _hat(page, base + "data-engineer")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("explorer.selected() !== null")
    page.mouse.move(5, 5)  # no hover tooltip in the picture
    page.wait_for_timeout(300)
    save("hat-card")
    page.select_option("#compare-with", label="ML engineer")
    save("compare")
    page.click("#compare-close")
    page.click("#details-close")
    page.click("#collapse-all")
    page.click("#open-heatmap")
    save("heatmap")
    page.click("#open-flow")
    for _ in range(2):
        page.click("#flow-next")
    page.wait_for_timeout(100)
    save("flow")
    team_page.wait_for_timeout(100)
    save("team", team_page)
    return written


def main(argv=None) -> int:
    """Write the pages, take the screenshots, print the files written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"error: {CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from datateam.graph.explorer import write_explorer
    from datateam.graph.store import load_knowledge_graph

    args.out.mkdir(parents=True, exist_ok=True)
    kg = load_knowledge_graph()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        folder = Path(folder)
        team_file = folder / "team.yaml"
        team_file.write_text(TEAM, encoding="utf-8")
        hats = Path(write_explorer(kg, folder / "hats.html")["path"])
        team = Path(write_explorer(kg, folder / "team.html", team=team_file)["path"])
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            pages = []
            for path in (hats, team):
                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
                page.on("request", lambda r, url=path.resolve().as_uri(): None if r.url == url else problems.append(f"request: {r.url}"))
                page.goto(path.resolve().as_uri())
                page.wait_for_function("window.explorerReady === true", timeout=30000)
                pages.append(page)
            written = shots(pages[0], pages[1], args.out)
        finally:
            browser.close()
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
