"""The core loop in Hebrew on a phone (390x844): a therapist whose browser speaks Hebrew signs
up and in, creates a client, books, writes a note (Hebrew with English drug names), attaches a
photo and finalizes. At every step: <html dir=rtl>, no horizontal scroll, and no English UI text
(docs/ARCHITECTURE.md "Translation layer"). Elements are found by their catalog words (Hebrew, or
the English msgid while a page is not wrapped yet), never by hard-coded Hebrew.
Screenshots: test-artifacts/screenshots/he-loop-<n>-<step>.png."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import date

from babel.dates import format_date
from playwright.sync_api import Page, expect

from pazpaz import i18n
from tests.e2e.conftest import ARTIFACTS, BASE_URL, BROWSER_TZ
from tests.e2e.flows import browser_today, no_horizontal_scroll, unique_email
from tests.e2e.test_core_loop_phone import photo

HE = "he"
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# English day and month names vary with the day the test runs: a leaked date is reported as "Ddd ## Mmm".
ENGLISH_DAY = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")
ENGLISH_MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
# Latin words the Hebrew catalog itself uses (PazPaz, PDF, JPEG, Google...): brand and format
# names, allowed on a Hebrew page. Placeholders ({name}) are not words.
ALLOWED_WORDS = frozenset(
    word for text in i18n.messages(HE).values()
    for word in LATIN_WORD.findall(re.sub(r"\{[^}]*\}", "", text)))

# Every visible text node, placeholder, accessible name (aria-label, title) and chosen option
# holding a Latin letter. checkVisibility keeps visually-hidden (.pz-sr-only) text: screen readers
# read it. An attribute on an element without a box (Reflex's zero-height connection pulser) is
# neither shown nor read.
_LATIN_TEXTS_JS = """() => {
  const latin = /[A-Za-z]/, out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim(), el = node.parentElement;
    if (!latin.test(text) || !el || el.closest('script,style,noscript,template,option')) continue;
    if (el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],option:checked')) {
    const box = el.tagName === 'OPTION' ? el.parentElement : el, rect = box.getBoundingClientRect();
    if (!box.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) || !rect.width || !rect.height) continue;
    for (const value of [el.getAttribute('placeholder'), el.getAttribute('aria-label'), el.getAttribute('title'),
                         el.tagName === 'OPTION' ? el.textContent : null]) {
      if (value && latin.test(value)) out.push(value.trim());
    }
  }
  return out;
}"""


def ui(msgid: str) -> re.Pattern[str]:
    """The words of `msgid` on screen: Hebrew from the catalog, or the English msgid while its
    page is not wrapped yet (the English is then reported by english_on_screen)."""
    words = {i18n.gettext(HE, msgid), msgid}
    return re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in words) + r")\s*$")


class HebrewLoop:
    """Checks each step of the loop and photographs it."""

    def __init__(self, page: Page, user_data: list[str]) -> None:
        self.page, self.user_data, self.step, self.leaks = page, user_data, 0, {}

    def english_on_screen(self) -> list[str]:
        found = []
        for text in self.page.evaluate(_LATIN_TEXTS_JS):
            rest = text
            for value in self.user_data:  # what the therapist typed is theirs, in any language
                rest = rest.replace(value, " ")
            if any(word not in ALLOWED_WORDS for word in LATIN_WORD.findall(rest)):
                # Times, counts and dates vary between runs.
                found.append(ENGLISH_MONTH.sub("Mmm", ENGLISH_DAY.sub("Ddd", re.sub(r"\d", "#", text))))
        return found

    def check(self, name: str) -> None:
        self.step += 1
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(shots / f"he-loop-{self.step}-{name}.png"))
        expect(self.page.locator("html")).to_have_attribute("dir", "rtl")
        assert no_horizontal_scroll(self.page), f"horizontal scroll at step {self.step} ({name})"
        english = self.english_on_screen()
        if english:
            self.leaks.setdefault(name, []).extend(english)

    def assert_no_english(self) -> None:
        seen = {text for texts in self.leaks.values() for text in texts}
        (ARTIFACTS / "he-loop-english.json").write_text(json.dumps(
            {name: sorted(set(texts)) for name, texts in self.leaks.items()}, ensure_ascii=False, indent=1))
        assert not seen, f"English UI text on Hebrew pages: {sorted(seen)}"


def direction(page: Page, selector: str) -> str:
    return page.locator(selector).evaluate("el => getComputedStyle(el).direction")


def read_mail(message) -> tuple[str, str]:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    return str(parsed["Subject"]), parsed.get_body(("plain",)).get_content()


def test_core_loop_in_hebrew_on_a_phone(browser, app_server, smtp_sink):
    context = browser.new_context(base_url=app_server.url, viewport={"width": 390, "height": 844},
                                  locale="he-IL", timezone_id=BROWSER_TZ, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(20_000)
    email_address = unique_email("hebrew-phone")
    subjective = "כאב בברך במדרגות, נוטל Ibuprofen 400mg"
    objective = "Swelling medial side, רגישות במישוש"
    note = {"Subjective": subjective, "Objective": objective, "Assessment": "חשד לנקע MCL",
            "Plan": "קרח ומנוחה, Diclofenac gel"}
    # What the therapist typed or chose (the practice's zone is the browser's) is data, not UI text.
    loop = HebrewLoop(page, [email_address, "knee.jpg", BROWSER_TZ, *note.values()])
    try:
        # Sign up from a Hebrew browser: the practice, the account and the sign-in mail are Hebrew.
        page.goto("/signup")
        page.get_by_label(ui("Practice name")).fill("קליניקת השקד")
        page.get_by_label(ui("Your name")).fill("דנה לוי")
        page.get_by_label(ui("Email")).fill(email_address)
        expect(page.get_by_label(ui("Email"))).to_have_attribute("dir", "ltr")
        loop.check("signup")
        page.get_by_role("button", name=ui("Create your practice")).click()
        expect(page.get_by_text(ui("Check your email"))).to_be_visible()
        link = smtp_sink.wait_for_link(email_address)
        subject, body = read_mail(smtp_sink.messages_to(email_address)[0])
        assert subject == i18n.gettext(HE, "Your PazPaz sign-in link")
        greeting = i18n.gettext(HE, "Hello,\n\nUse this link to sign in to PazPaz. It works once and expires in "
                                    "{minutes} minutes:\n\n{link}\n\nIf you did not ask for it, ignore this "
                                    "email: nobody can sign in without it.\n")
        assert greeting != "Hello," and body.startswith(greeting.split("\n")[0])
        assert link in body and re.search(r"[\u0590-\u05ff]{3}", body)

        page.goto(link)
        loop.check("continue")
        page.get_by_role("button", name=ui("Continue")).click()
        expect(page.locator("#welcome")).to_be_visible()
        loop.check("today")

        page.get_by_role("link", name=ui("Clients")).click()
        page.get_by_role("button", name=ui("New client")).click()
        page.get_by_label(ui("First name")).fill("אבי")
        page.get_by_label(ui("Last name")).fill("כהן")
        expect(page.get_by_label(ui("First name"))).to_have_attribute("dir", "auto")
        page.get_by_role("button", name=ui("Create client")).click()
        expect(page.locator("#client-name")).to_have_text("אבי כהן")
        loop.check("client")

        # The calendar in Hebrew: right to left, the week from Sunday, Hebrew words and day names, 24-hour times.
        page.get_by_role("button", name=ui("Book appointment")).first.click()
        expect(page.locator(".fc-listWeek-view")).to_be_visible()
        expect(page.locator(".fc")).to_have_class(re.compile(r"\bfc-direction-rtl\b"))
        for button, msgid in ((".fc-today-button", "Today"), (".fc-prev-button", "Previous"),
                              (".fc-listWeek-button", "Agenda"), (".fc-timeGridDay-button", "Day")):
            expect(page.locator(button)).to_have_text(i18n.gettext(HE, msgid))
        # The toolbar mirrors: "previous" on the right of "next", the way Hebrew reads.
        assert page.locator(".fc-prev-button").bounding_box()["x"] > page.locator(".fc-next-button").bounding_box()["x"]
        expect(page.locator(".fc-toolbar-title")).to_have_text(re.compile(r"^[^A-Za-z]*[\u0590-\u05ff][^A-Za-z]*$"))
        expect(page.locator("#calendar")).to_have_attribute("data-range-start", re.compile(r"\d{4}-\d\d-\d\d"))
        assert date.fromisoformat(page.locator("#calendar").get_attribute("data-range-start")).isoweekday() == 7
        # FullCalendar's own week (its firstDay), not only the week the server read first.
        assert page.evaluate("() => globalThis.pazpazFc.api.view.activeStart.getUTCDay()") == 0
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label(ui("Client")).locator("option:checked")).to_have_text("אבי כהן")
        dialog.get_by_label(ui("Start")).fill(f"{browser_today()}T00:00")
        dialog.get_by_label(ui("End (optional)")).fill(f"{browser_today()}T00:45")
        expect(dialog.get_by_label(ui("Start"))).to_have_attribute("dir", "ltr")
        loop.check("booking")
        dialog.get_by_role("button", name=ui("Save appointment")).click()
        expect(dialog).to_have_count(0)
        event = page.locator(".fc-list-event", has_text="אבי כהן")
        expect(event.locator(".fc-list-event-time")).to_have_text(re.compile(r"^00:00\D+00:45$"))
        expect(page.locator(".fc-list-day-text").first).to_have_text(
            format_date(browser_today(), "EEEE", locale="he_IL"))
        loop.check("calendar")

        event.click()
        page.get_by_role("button", name=ui("Write note")).click()
        expect(page).to_have_url(re.compile(rf"{BASE_URL}/notes/"))
        expect(page.get_by_text(ui("This appointment is now marked attended."))).to_be_visible()
        for section, text in note.items():
            page.get_by_label(ui(section)).fill(text)
        page.get_by_label(ui("Plan")).blur()
        expect(page.locator("#save-state")).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))
        # dir="auto": each note reads in the direction of its own first letter, whatever the page's.
        assert direction(page, "#note-subjective") == "rtl"
        assert direction(page, "#note-objective") == "ltr"
        loop.check("note")

        page.locator("#attachments input[type=file]").set_input_files(
            files=[{"name": "knee.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
        expect(page.locator("#file-list img")).to_have_count(1)
        loop.check("photo")

        page.get_by_role("button", name=ui("Finalize note")).click()
        page.get_by_role("alertdialog").get_by_role("button", name=ui("Finalize")).click()
        expect(page.locator("#note-subjective")).to_have_count(0)
        expect(page.locator(".pz-doc-section").first).to_have_text(subjective)
        assert direction(page, ".pz-doc-section >> nth=1") == "ltr"  # the English-first section, as typed
        loop.check("finalized")
        loop.assert_no_english()
    finally:
        context.close()
