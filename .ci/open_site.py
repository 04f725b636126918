"""Open a built site in Debian's chromium and ask it one query: keyword results, then the static encoder's
(hybrid-lite), then the transformer's (state `ready`, a hybrid list), at least one result.

    python .ci/open_site.py SITE_DIR QUERY
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browsing import CHROMIUM, FLAGS, serve  # noqa: E402


def main(site: Path, query: str) -> None:
    from playwright.sync_api import sync_playwright

    httpd, url = serve(site)
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("body[data-state=lexical], body[data-state=lite]", state="attached",
                                   timeout=60_000)
            page.fill("#q", query)  # a list on screen: the next tier loads, then ranks the query again
            page.wait_for_selector("body[data-state=ready]", state="attached", timeout=60_000)
            page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=30_000)
            first = page.locator("#results li").first
            print(f"{site}: ready; {query!r} -> {page.locator('#results li').count()} hybrid results, first "
                  f"{first.get_attribute('data-id')!r}")
            browser.close()
    finally:
        httpd.shutdown()
    if errors:
        sys.exit(f"console errors: {errors}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
