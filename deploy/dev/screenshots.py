"""Screenshots of the console's main screens at 1440 px and on a 360 px phone.

Starts the same stack as the browser tests (campaigns, landing and analytics on their
own SQLite databases in a temporary directory, seeded with the demo), logs in as the
demo user in Debian's Chromium and writes ``docs/screenshots/console-<screen>-<width>.png``.
With ``--dutch`` the demo user switches the console to Dutch first (the switch in the
navigation) and the files are ``console-<screen>-<width>-nl.png``. Any layout problem the
browser test would fail on is printed too.

    .venv/bin/python deploy/dev/screenshots.py [--dutch] [screen ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the stack and screens the tests use
sys.path.insert(1, str(ROOT))  # and the test support they import (``tests.support``)

from console_screens import (  # noqa: E402
    NOW,
    SCREENS,
    TODAY,
    WIDTHS,
    layout_problems,
    log_in,
    open_screen,
    viewport,
)
from console_support import console_stack  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main(screens: list[str], *, dutch: bool = False) -> int:
    from playwright.sync_api import sync_playwright

    unknown = set(screens) - set(SCREENS)
    if unknown:
        print(f"unknown screens: {', '.join(sorted(unknown))}; known: {', '.join(SCREENS)}")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    problems = 0
    with (
        tempfile.TemporaryDirectory() as workdir,
        console_stack(Path(workdir), today=TODAY, now=NOW) as stack,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in WIDTHS:
            context = browser.new_context(**viewport(width))
            page = context.new_page()
            log_in(page, stack.campaigns_url)
            switch = page.locator("#language-nl")
            if dutch and switch.count():  # the account keeps it for the next width
                switch.click()
                page.wait_for_load_state()
            suffix = "-nl" if dutch else ""
            for screen in screens or list(SCREENS):
                open_screen(page, stack.campaigns_url, screen)
                target = OUT / f"console-{screen}-{width}{suffix}.png"
                page.screenshot(path=str(target), full_page=True)
                found = layout_problems(page)
                problems += len(found)
                print(f"{target.relative_to(ROOT)}" + "".join(f"\n  ! {p}" for p in found))
            context.close()
        browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main([a for a in arguments if a != "--dutch"], dutch="--dutch" in arguments))
