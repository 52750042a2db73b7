"""One emergency number everywhere. The server's HTML never names a country's number or
service; in Chromium every page shows the person's own: Europe/London with US English
gives 999 and no 911 anywhere, America/New_York gives no 999 and no NHS 111, no region
at all gives 112 with "Not your number?", and a saved 111 in the UK gets a warning."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from server.pages import page_urls
from tests.test_browser_screening import rules_of, run_check

WRONG_FOR_LONDON = re.compile(r"\b911\b")
WRONG_FOR_NEW_YORK = re.compile(r"\b999\b|NHS 111")
# A number on its own, not part of a quantity such as "2,000 ml".
ANY_COUNTRY_NUMBER = re.compile(r"(?<![\d,.])\b(999|911|000|111|113|119)\b(?![,.]?\d)|NHS 111")


class TextParser(HTMLParser):
    """The text a person would read, and every tel: link."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.tel: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href") or ""
        if href.startswith("tel:"):
            self.tel.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def all_pages(app) -> list[str]:
    return ["/offline", *page_urls(app.extensions["mbr_content"])]


def test_server_html_names_no_country_number(app, client):
    for url in all_pages(app):
        parser = TextParser()
        parser.feed(client.get(url).get_data(as_text=True))
        text = " ".join(parser.text)
        assert not ANY_COUNTRY_NUMBER.search(text), (url, ANY_COUNTRY_NUMBER.search(text).group(0))
        # Until the page knows the person's number, a call button offers 112.
        assert set(parser.tel) <= {"tel:112"}, url
    home = client.get("/").get_data(as_text=True)
    assert "call your emergency number" in home
    assert 'data-call="now"' in home


def visit_everything(new_context, live_server, zone: str, locale: str, wrong: re.Pattern, same_day: str):
    page = new_context(service_workers="block", timezone_id=zone, locale=locale).new_page()
    seen: dict[str, str] = {}
    for url in all_pages(live_server.app):
        page.goto(live_server.url + url)
        expect(page.locator("footer .fill").first).to_be_attached()
        text = page.locator("body").inner_text()
        hrefs = page.eval_on_selector_all("a[href^='tel:']", "(links) => links.map((a) => a.href)")
        found = wrong.search(text + " " + " ".join(hrefs))
        if found:
            seen[url] = found.group(0)
    # The screens the check draws: a same-day and an emergency result.
    rules = rules_of(live_server)
    page.goto(live_server.url + "/screening")
    run_check(page, rules, {"weight-loss": True}, age=40)
    expect(page.locator("#outcome-next")).to_contain_text(same_day)
    text = page.locator("body").inner_text()
    if wrong.search(text):
        seen["same-day result"] = wrong.search(text).group(0)
    page.locator("#screening-again").click()
    run_check(page, rules, {"chest-pain": True}, start=False)
    if wrong.search(page.locator("body").inner_text()):
        seen["emergency result"] = wrong.search(page.locator("body").inner_text()).group(0)
    page.goto(live_server.url + "/")
    text = page.locator("body").inner_text()
    if wrong.search(text):
        seen["home while held"] = wrong.search(text).group(0)
    return page, seen


@pytest.mark.browser
def test_london_with_us_english_never_shows_911(new_context, live_server):
    page, wrong = visit_everything(new_context, live_server, "Europe/London", "en-US", WRONG_FOR_LONDON,
                                   "contact NHS 111.")
    assert wrong == {}
    expect(page.locator("#get-help-now a[data-call]")).to_have_text("Call 999 now")
    expect(page.locator("#get-help-now a[data-call]")).to_have_attribute("href", "tel:999")
    expect(page.locator("#get-help-now p").first).to_contain_text("need help now: call 999.")
    # Every stop rule carries the same call (routine and stretch pages, the library).
    exercise = next(iter(live_server.app.extensions["mbr_content"].exercises))
    for url in ("/routines/desk-reset", f"/stretches/{exercise}", "/stretches"):
        page.goto(live_server.url + url)
        call = page.locator(".note-stop a[data-call]")
        expect(call).to_have_attribute("href", "tel:999")
        expect(call).to_have_text("Call 999 now")
        expect(call).to_be_visible()


@pytest.mark.browser
def test_new_york_never_shows_999_or_nhs_111(new_context, live_server):
    page, wrong = visit_everything(new_context, live_server, "America/New_York", "en-GB", WRONG_FOR_NEW_YORK,
                                   "contact your doctor's urgent line or out-of-hours service.")
    assert wrong == {}
    expect(page.locator("#get-help-now a[data-call]")).to_have_text("Call 911 now")
    page.goto(live_server.url + "/causes/muscular-postural/muscle-strain")
    expect(page.locator("section:has(#checked) li").first).to_have_text(
        "Call 911 if the pain started after a serious accident, such as a car crash or a fall from a height.")


@pytest.mark.browser
def test_no_region_offers_112_and_a_way_to_set_the_number(new_context, live_server):
    page = new_context(service_workers="block", timezone_id="UTC", locale="en").new_page()
    page.goto(live_server.url + "/")
    call = page.locator("#get-help-now a[data-call]")
    expect(call).to_have_text("Call 112 now")
    expect(call).to_have_attribute("href", "tel:112")
    expect(page.locator("#get-help-now p").first).to_contain_text("call your emergency number (112).")
    page.locator("#get-help-now .number-hint a").click()
    expect(page).to_have_url(live_server.url + "/settings#emergency-title")
    expect(page.locator("#emergency-current")).to_contain_text("We do not know the emergency number where you are")
    page.locator("#emergency-region").select_option("AU")
    page.locator("#settings-emergency button[type=submit]").click()
    expect(page.locator("#emergency-status")).to_have_text("Saved: the app will offer to call 000.")
    page.goto(live_server.url + "/")
    expect(call).to_have_text("Call 000 now")


@pytest.mark.browser
def test_saved_number_that_is_not_the_regions_gets_a_warning(new_context, live_server):
    page = new_context(service_workers="block", timezone_id="Europe/London", locale="en-GB").new_page()
    page.goto(live_server.url + "/settings")
    number = page.locator("#emergency-number")
    number.fill("12a")
    page.locator("#settings-emergency button[type=submit]").click()
    expect(page.locator("#emergency-status")).to_have_text("Please enter 2 to 6 digits, or leave it empty.")
    number.fill("111")
    page.locator("#settings-emergency button[type=submit]").click()
    warning = page.locator("#emergency-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("111 is NHS 111 in Britain (UK): it is for urgent help that is not an "
                                    "emergency. The emergency number there is 999.")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#emergency-status")).to_contain_text("Please read the warning above.")
    page.reload()
    expect(warning).to_be_visible()  # and still there on the next visit
    number.fill("999")
    page.locator("#settings-emergency button[type=submit]").click()
    expect(warning).to_be_hidden()
    number.fill("1234")
    page.locator("#settings-emergency button[type=submit]").click()
    expect(warning).to_contain_text("1234 is not the emergency number for Britain (UK): that is 999.")
    # The person's own number is still the one offered everywhere.
    page.goto(live_server.url + "/screening")
    run_check(page, rules_of(live_server), {"chest-pain": True})
    expect(page.locator("#call-emergency")).to_have_attribute("href", "tel:1234")
