"""Study in the browser: the time from the rating key to the next card's question on screen, in
Chromium, with the network slowed to 150 ms round trips (Chromium's own network emulation) against
the same without the slow network.

    .venv/bin/python bench/study_browser.py [--cards 40] [--rounds 4] [--read-ms 1000]

Runs for real: a throw-away PostgreSQL database (as bench/study.py: PG_ADMIN_URL), gunicorn serving
the app, Debian's Chromium driven by Playwright, a learner logged in on /study/. In the page, a
capture listener notes the moment of the rating key and a MutationObserver the moment the next
question is in the DOM; the next animation frame after it is when it is on screen. Each condition
runs in `rounds` slices taken in turn, on one page. Also printed: when the server acknowledged each
rating (its entry leaving the browser's storage), which is what a page that waits for the server
would have shown as the key-to-card time. --read-ms is the time spent on each card between the
question and the rating key (a fast learner's second by default; 0 rates in a burst, the worst case
for the cards the page holds).

Target: the next card on screen within 50 ms of the key, at 0 and at 150 ms round trips.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._harness import bench_database, gunicorn  # noqa: E402  (after the path: run as a script)

TARGET_MS = 50.0
SLOW_RTT_MS = 150
PASSWORD = "bench-password-1"

INSTRUMENT = """() => {
  window.__keyToCard = []; window.__keyToAck = []; window.__keyAt = null;
  document.addEventListener("keydown", (event) => {
    if (["1", "2", "3", "4"].includes(event.key)) window.__keyAt = performance.now();
  }, true);
  const prompt = document.querySelector(".study-card .prompt");
  new MutationObserver(() => {
    const start = window.__keyAt;
    if (start === null) return;
    window.__keyAt = null;
    requestAnimationFrame(() => window.__keyToCard.push(performance.now() - start));
    const waiting = () => Object.keys(localStorage).some((key) => key.startsWith("quizapp.ratings."));
    const poll = () => (waiting() ? setTimeout(poll, 2) : window.__keyToAck.push(performance.now() - start));
    poll();
  }).observe(prompt, {childList: true, characterData: true, subtree: true});
}"""


def seed(cards: int) -> None:
    from django.contrib.auth import get_user_model

    from questions.models import Question, Topic
    from quizapp.study.models import StudySettings

    topic = Topic.objects.create(slug="bench", title_en="Bench", title_zh="基准")
    Question.objects.bulk_create([
        Question(card_id=f"bench-{n}", topic=topic, difficulty=1, position=n, question_en=f"Bench question {n}?",
                 question_zh=f"基准问题 {n}？", answer_en="An answer.", answer_zh="答案。",
                 answer_html_en=f"<p>An answer with <strong>some</strong> text, number {n}.</p>",
                 answer_html_zh="<p>答案。</p>", key_points=[{"en": "A point", "zh": "要点", "terms": ["point"]}])
        for n in range(cards)])
    learner = get_user_model().objects.create_user("bench-learner", password=PASSWORD)
    StudySettings.objects.create(user=learner, new_cards_per_day=cards, timezone="UTC")


def study(page, count: int, read_ms: int) -> None:
    """Reveal and rate `count` cards with the keyboard, each rating Easy (the card leaves the day)."""
    for _ in range(count):
        before = page.locator(".study-card .prompt").inner_text()
        page.wait_for_timeout(read_ms)
        page.keyboard.press("Space")
        page.locator(".ratings").wait_for(state="visible")
        page.keyboard.press("4")
        page.wait_for_function("(before) => document.querySelector('.study-card .prompt').innerText !== before",
                               arg=before)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"n={len(values):3d}  median={statistics.median(values):7.1f} ms  p95={p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=40, help="ratings per condition, all rounds together")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--read-ms", type=int, default=1000, help="time on each card before the rating key")
    args = parser.parse_args()
    per_slice = max(1, args.cards // args.rounds)

    var_dir = ROOT / "var" / "bench-study-browser"
    var_dir.mkdir(parents=True, exist_ok=True)
    with bench_database() as database_url:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "quizapp.settings", "DATABASE_URL": database_url,
               "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "VAR_DIR": str(var_dir),
               "LOG_LEVEL": "WARNING", "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false",
               "API_THROTTLE_USER": "1000000/min",
               "API_THROTTLE_ANON": "1000000/min"}
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        seed(cards=2 * per_slice * args.rounds + 10)
        from playwright.sync_api import sync_playwright

        with gunicorn(env, workers=2) as port, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(base_url=f"http://127.0.0.1:{port}", locale="en-US").new_page()
            response = page.goto("/accounts/login/")
            if response.status != 200:
                raise RuntimeError(f"the login page answered {response.status}: {page.content()[:500]}")
            page.fill("#id_username", "bench-learner")
            page.fill("#id_password", PASSWORD)
            page.press("#id_password", "Enter")
            page.wait_for_url(lambda url: "/login/" not in url)
            page.goto("/study/")
            page.locator(".study-card .prompt").wait_for()
            page.evaluate(INSTRUMENT)
            network = page.context.new_cdp_session(page)
            network.send("Network.enable")
            results = {0: ([], []), SLOW_RTT_MS: ([], [])}
            for turn in range(args.rounds):  # the conditions take turns: a machine that slows down weighs on both
                for rtt in ([0, SLOW_RTT_MS] if turn % 2 == 0 else [SLOW_RTT_MS, 0]):
                    network.send("Network.emulateNetworkConditions", {
                        "offline": False, "latency": rtt, "downloadThroughput": -1, "uploadThroughput": -1})
                    page.evaluate("() => { window.__keyToCard = []; window.__keyToAck = []; }")
                    study(page, per_slice, args.read_ms)
                    page.wait_for_function("() => !Object.keys(localStorage).some((key) => "
                                           "key.startsWith('quizapp.ratings.'))")
                    results[rtt][0].extend(page.evaluate("() => window.__keyToCard"))
                    results[rtt][1].extend(page.evaluate("() => window.__keyToAck"))
            browser.close()

    print(f"Rating key → next card on screen, Chromium, {per_slice * args.rounds} ratings per condition "
          f"in {args.rounds} rounds, {args.read_ms} ms on each card (target: within {TARGET_MS:g} ms)")
    for rtt, (to_card, to_ack) in results.items():
        verdict = "meets" if statistics.median(to_card) <= TARGET_MS else "MISSES"
        print(f"  {rtt:3d} ms round trips: next card  {summary(to_card)}  ({verdict} the target)")
        print(f"                       server ack {summary(to_ack)}  (what waiting for the server would cost)")
    fast, slow = statistics.median(results[0][0]), statistics.median(results[SLOW_RTT_MS][0])
    print(f"  next card at 150 ms ÷ at 0 ms (medians) = {slow / fast:.2f}")


if __name__ == "__main__":
    main()
