"""Where the week navigation's time goes in Chromium (a diagnostic, not a benchmark).

Same app, data and page as bench.browser_bench; for each "next week" click it records, in
the page: the click handler's synchronous time (FullCalendar's navigation render), the time
to the next animation frame, and how many times the week's events were rebuilt after the
server's answer (re-renders per state delta).
Run: .venv/bin/python -m bench.browser_diag [--clicks 20]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
from datetime import date, timedelta

from bench import browser_bench as bb

PROBE = """
() => new Promise((resolve) => {
  const root = document.querySelector('#calendar');
  let rebuilt = 0;
  const observer = new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes)
      if (n.nodeType === 1 && (n.matches('.fc-timegrid-event-harness')
                               || n.querySelector?.('.fc-timegrid-event'))) { rebuilt++; }
  });
  observer.observe(root, {subtree: true, childList: true});
  const version = root.dataset.navVersion;
  const t0 = performance.now();
  document.querySelector('.fc-next-button').click();
  const sync = performance.now() - t0;
  const afterClick = rebuilt;
  requestAnimationFrame(() => {
    const frame = performance.now() - t0;
    const wait = () => {
      if (root.dataset.navVersion !== version) {
        const delta = performance.now() - t0;
        const before = rebuilt;
        requestAnimationFrame(() => requestAnimationFrame(() => {
          observer.disconnect();
          resolve({sync, frame, delta, nodesOnClick: afterClick, nodesOnDelta: rebuilt - before,
                   settled: performance.now() - t0});
        }));
      } else { setTimeout(wait, 1); }
    };
    wait();
  });
})
"""


def print_profile(profile: dict, top: int = 25) -> None:
    """Self time by function over the clicks (JavaScript and the layout it forces)."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    by_sample: dict[int, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        by_sample[sample] = by_sample.get(sample, 0.0) + delta / 1000
    totals: dict[str, float] = {}
    for node_id, ms in by_sample.items():
        frame = nodes[node_id]["callFrame"]
        name = f"{frame['functionName'] or '(anonymous)'} {frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber']}"
        totals[name] = totals.get(name, 0.0) + ms
    busy = sum(ms for name, ms in totals.items() if not name.startswith("(idle)"))
    print(f"JavaScript profile: {busy:.0f} ms busy over the clicks")
    for name, ms in sorted(totals.items(), key=lambda item: -item[1])[:top]:
        print(f"  {ms:8.1f} ms  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_diag")
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--cpu-profile", action="store_true",
                        help="also sample the page's JavaScript (CDP) and print the top functions")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    process = bb.start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            page = browser.new_page(base_url=bb.BASE, viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            bb.sign_in(page)
            today = date.today()
            bb.seed_weeks(today - timedelta(days=today.weekday()), args.clicks + 2)
            page.goto("/calendar")
            page.wait_for_function("n => document.querySelectorAll('.fc-event').length >= n", arg=bb.PER_WEEK)
            cdp = None
            if args.cpu_profile:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                cdp.send("Profiler.start")
            rows = []
            for _ in range(args.clicks):
                rows.append(page.evaluate(PROBE))
            if cdp is not None:
                print_profile(cdp.send("Profiler.stop")["profile"])
            browser.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)
    for key in ("sync", "frame", "delta", "settled", "nodesOnClick", "nodesOnDelta"):
        values = [row[key] for row in rows]
        print(f"{key:14} median {statistics.median(values):8.1f}  max {max(values):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
