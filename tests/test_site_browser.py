"""The campaign site in a real browser (Playwright driving the system's Chromium), used as a supporter would.

One browser for the module, the site served from loopback. Every request any page makes is logged;
none may go to another origin. axe-core (installed by .ci/run from the npm registry) checks every page.
"""

from __future__ import annotations

import functools
import html
import io
import os
import re
import shutil
import threading
import zlib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import LETTER_DATE
from helpers import run
from site_helpers import HOSTILE_NAME, representatives, site_campaign

from toolkit.letters.similarity import fingerprint
from toolkit.opeds.outlets import DISTRICTS
from toolkit.site.pages import copy_score, district_slug, read_examples, reference_texts
from toolkit.validate import check_campaign

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))
IN_CI = bool(os.environ.get("CI"))

if CHROMIUM is None and not IN_CI:
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it", allow_module_level=True)

OWN_WORDS = ("Jeg vokste opp i Tromsø og har to døtre. Da jeg jobbet på et hotell, så jeg unge kvinner som "
             "aldri snakket med noen og som ble hentet i bil hver kveld. Ingen av oss visste hvem vi skulle si fra til.")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test log is no place for an access log
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The shipped campaign with 169 representatives (and some hostile data), built by `toolkit build`, served."""
    campaign_dir = site_campaign(tmp_path_factory.mktemp("nettside") / "kampanje", hostile=True)
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Nettside: 44 sider" in result.output
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert problems.errors == []
    folder = campaign.output_dir / "side"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield campaign, folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Chromium is missing: .ci/run installs it with apt-get"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def requests_seen():
    return []


@pytest.fixture
def context(browser, site, requests_seen):
    """A fresh browser profile whose every request is logged; a request to another origin is refused."""
    _, _, origin = site
    made = browser.new_context(locale="nb-NO", viewport={"width": 1200, "height": 900})
    made.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin.rstrip("/"))

    def watch(route, request):
        requests_seen.append(request.url)
        if request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    made.route("**/*", watch)
    yield made
    made.close()


@pytest.fixture
def page(context):
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    yield opened
    assert errors == []


def all_pages(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*.html"))


def mail_parts(href: str) -> tuple[list[str], dict[str, str]]:
    parts = urlsplit(href)
    assert parts.scheme == "mailto"
    fields = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    return [unquote(address) for address in parts.path.split(",")], fields


def test_js_and_python_agree_on_the_fingerprint_measure(page, site):
    campaign, _, origin = site
    page.goto(origin + "distrikt/oslo.html")
    references = reference_texts(campaign)
    samples = [
        OWN_WORDS, references[0][1], campaign.demands[0].arguments[1], campaign.demands[3].in_language("nn").ask,
        "Ærlig talt: ÅSE, Øyvind og Ærlend møtte «dem» – 25. november 2026! " * 3,
        "Café crème, naïve résumé, e\u0301 decomposed, ², ½, Ⅻ; Кириллица и греческий ΣΊΣΥΦΟΣ; 中文的文字 " * 2,
        "tab\tand\nnew lines, under_scores and emoji 👩‍👩‍👧 🎉 mixed with digits 0123456789 " * 3,
        "", "kort",
    ]
    in_js = page.evaluate("texts => texts.map(t => window.toolkitSimilarity.fingerprint(t))", samples)
    assert in_js == [sorted(fingerprint(text)) for text in samples]
    assert sum(len(hashes) for hashes in in_js) >= 20 and all(in_js[:7])  # there are fingerprints to compare
    prints = [sorted(fingerprint(text)) for _, text in references]
    scores = page.evaluate("([texts, refs]) => texts.map(t => window.toolkitSimilarity.copyScore(t, refs))", [samples, prints])
    python = [copy_score(text, [frozenset(p) for p in prints]) for text in samples]
    assert scores == pytest.approx(python, abs=1e-12)
    assert max(python) == 1.0 and min(python) == 0.0


def names_on_page(page) -> list[str]:
    return sorted(page.locator(".person .name").all_text_contents())


def test_choose_a_district_by_name_and_by_municipality(page, site):
    campaign, _, origin = site
    for query, district in (("oslo", "Os"), ("  Sogn og  fjordane ", "SF"), ("Lunner", "Ak"), ("Sandef", "Ve")):
        page.goto(origin + "representanter.html")
        page.get_by_label("Valgdistrikt eller kommune").fill(query)
        page.get_by_role("button", name="Finn").click()
        page.wait_for_url(f"**/distrikt/{district_slug(district)}.html")
        expected = representatives(campaign.folder, district)
        assert names_on_page(page) == sorted(row["name"] for row in expected)
        assert page.locator("h1").text_content() == f"Stortingsrepresentantene fra {DISTRICTS[district]}"
        parties = page.locator(".person .party").all_text_contents()
        assert sorted(parties) == sorted(row["party_name"] for row in expected)
    page.goto(origin + "representanter.html")
    page.get_by_label("Valgdistrikt eller kommune").fill("Viken")
    page.get_by_label("Valgdistrikt eller kommune").press("Enter")
    assert "Fant ikke «Viken»" in page.locator("#sok-svar").text_content()
    assert page.url.endswith("representanter.html") and page.locator("#sok-valg li").count() == 0
    # A name in two districts (Våler): the page offers both, and the supporter picks one.
    page.get_by_label("Valgdistrikt eller kommune").fill("våler")
    page.get_by_label("Valgdistrikt eller kommune").press("Enter")
    assert "flere valgdistrikter" in page.locator("#sok-svar").text_content()
    assert page.locator("#sok-valg a").all_text_contents() == ["Hedmark", "Østfold"]
    page.locator("#sok-valg").get_by_role("link", name="Østfold").click()
    page.wait_for_url("**/distrikt/ostfold.html")
    assert names_on_page(page) == sorted(row["name"] for row in representatives(campaign.folder, "Øs"))
    # The hostile name is shown as text in Oslo's list (the fixture puts it there).
    page.goto(origin + "distrikt/oslo.html")
    assert HOSTILE_NAME in names_on_page(page)


def test_write_get_warned_for_copies_and_send_by_mail(page, site):
    campaign, _, origin = site
    page.goto(origin + "distrikt/oslo.html")
    assert page.locator("#utkast").is_hidden() and page.locator("#skriv").is_visible()
    page.get_by_label("Navnet ditt").fill("Kari Nordmann")
    page.get_by_label("Bosted").fill("Grünerløkka, Oslo")
    paragraph = page.get_by_label("Ditt eget avsnitt")
    warning = page.locator("#varsel")
    assert warning.get_attribute("role") == "status" and warning.get_attribute("aria-live") == "polite"
    paragraph.fill("Jeg er enig i kravene.")
    assert warning.text_content() == "Skriv noen setninger med dine egne ord."
    paragraph.fill(OWN_WORDS)
    assert warning.text_content() == "Avsnittet er skrevet med dine egne ord."
    assert page.locator("#teller").text_content() == f"{len(OWN_WORDS)} av 1500 tegn"
    # A pasted example, and a passage lifted from a demand's argument, both get the warning.
    for copied in (read_examples(campaign, "nb")[1], campaign.demands[2].arguments[1][:500]):
        paragraph.fill(copied)
        assert "ligner for mye på eksemplene eller kampanjens egne tekster" in warning.text_content()
        assert "bad" in warning.get_attribute("class")
    paragraph.fill(OWN_WORDS + " <img src=x onerror=alert('avsnitt')>")
    assert warning.text_content() == "Avsnittet er skrevet med dine egne ord."
    assert "<img src=x onerror=alert('avsnitt')>" in page.locator("#forhandsvisning").text_content()
    assert page.locator("#forhandsvisning img").count() == 0
    to, fields = mail_parts(page.get_by_role("link", name="Åpne i e-postprogrammet").get_attribute("href"))
    expected = representatives(campaign.folder, "Os")
    assert sorted(to) == sorted(row["email"] for row in expected if row["email_verified"] == "ja")
    assert len(to) == 3
    assert fields["subject"] == "Menneskehandel er vold mot kvinner: brev fra Kari Nordmann"
    body = fields["body"]
    # The wording is picked by the name, as the page's script does it: CRC32 of the name in lower case.
    wording = page.evaluate("JSON.parse(document.getElementById('brevdata').textContent).variants")[
        zlib.crc32("kari nordmann".encode()) % 3]
    opening = wording["paragraphs"][1]["text"]
    assert body.startswith(f"Kjære stortingsrepresentanter fra Oslo\r\n\r\n{opening}\r\n\r\n{OWN_WORDS}")
    assert OWN_WORDS in body and "\r\n- " in body
    assert body.endswith("Med vennlig hilsen\r\n\r\nKari Nordmann\nGrünerløkka, Oslo\r\n".replace("\n", "\r\n").replace("\r\r", "\r"))
    assert "\ue000" not in body and "[" not in body
    # A letter too long for a link: the link keeps addresses and subject, and the letter is copied.
    long_text = " ".join([OWN_WORDS] * 6)[:1450]
    paragraph.fill(long_text)
    link = page.get_by_role("link", name="Åpne i e-postprogrammet").get_attribute("href")
    to, fields = mail_parts(link)
    assert len(to) == 3 and "body" not in fields and fields["subject"].endswith("Kari Nordmann")
    assert "for langt til å legges i lenken" in page.locator("#sendevarsel").text_content()
    page.get_by_role("button", name="Kopier brevet").click()
    page.wait_for_function("document.getElementById('sendevarsel').textContent.startsWith('Brevet er kopiert')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Kjære stortingsrepresentanter fra Oslo\n\n") and long_text.strip() in copied
    assert copied.rstrip().endswith("Kari Nordmann\nGrünerløkka, Oslo")


def test_keyboard_alone(page, site):
    _, _, origin = site
    page.goto(origin + "distrikt/oslo.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Gå til innholdet"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#innhold"
    page.focus("#navn")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert order == ["sted", "adresse", "avsnitt", "SUMMARY", "epost"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # opens the examples
    assert page.locator(".questions details").get_attribute("open") is not None
    page.focus("#kopier")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('sendevarsel').textContent.startsWith('Brevet er kopiert')")


def test_districts_without_verified_addresses_show_the_stortings_route(page, site):
    _, _, origin = site
    page.goto(origin + "distrikt/finnmark.html")
    assert page.get_by_role("link", name="Åpne i e-postprogrammet").is_hidden()
    assert "Ingen av representantene har kontrollert e-postadresse" in page.locator("#sendevarsel").text_content()
    route = page.locator(".route").text_content()
    assert "Stortinget, Karl Johans gate 22, 0026 Oslo" in route and "postmottak@stortinget.no" in route
    assert page.locator('a[href^="mailto:"]:visible').evaluate_all("links => links.map(l => l.href)") == [
        "mailto:postmottak@stortinget.no", "mailto:post@example.org",
    ]


def test_print_gives_the_letter_on_a4(page, site):
    from pypdf import PdfReader

    _, _, origin = site
    page.goto(origin + "distrikt/oslo.html")
    page.get_by_label("Navnet ditt").fill("Kari Nordmann")
    page.get_by_label("Adresse", exact=True).fill("Sannergata 1\n0557 Oslo")
    page.get_by_label("Bosted").fill("Oslo")
    page.get_by_label("Ditt eget avsnitt").fill(OWN_WORDS)
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=False)))
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[:3] == ["Kari Nordmann", "Sannergata 1", "0557 Oslo"]
    assert "Stortingsrepresentantene fra Oslo" in lines and "Karl Johans gate 22" in lines
    flat = " ".join(text.split())
    assert "Kjære stortingsrepresentanter fra Oslo" in flat and " ".join(OWN_WORDS.split()) in flat
    assert "Menneskehandel er vold mot kvinner: brev fra Kari Nordmann" in flat
    assert "Finn representantene dine" not in flat and "Skriv brevet" not in flat  # only the letter is printed
    assert len(pdf.pages) <= 2


def test_switch_to_nynorsk(page, site):
    _, _, origin = site
    page.goto(origin + "distrikt/oslo.html")
    page.get_by_role("link", name="Les på nynorsk").click()
    page.wait_for_url("**/nn/distrikt/oslo.html")
    assert page.locator("html").get_attribute("lang") == "nn"
    assert page.locator("h1").text_content() == "Stortingsrepresentantane frå Oslo"
    page.get_by_label("Namnet ditt").fill("Kari Nordmann")
    page.get_by_label("Ditt eige avsnitt").fill("Eg bur på Grünerløkka og ser kvar dag kor lite som blir gjort for "
                                                 "dei som er utnytta, og eg vil at de skal gjere meir no.")
    preview = page.locator("#forhandsvisning").text_content()
    assert "Kjære stortingsrepresentantar frå Oslo" in preview and "dykk" in preview and "de " in preview
    assert "Med venleg helsing" in preview
    _, fields = mail_parts(page.get_by_role("link", name="Opne i e-postprogrammet").get_attribute("href"))
    assert fields["subject"] == "Menneskehandel er vald mot kvinner: brev frå Kari Nordmann"
    page.get_by_role("link", name="Les på bokmål").click()
    page.wait_for_url(origin + "distrikt/oslo.html")
    assert page.locator("html").get_attribute("lang") == "nb" and "/nn/" not in page.url
    page.goto(origin + "nn/index.html")
    assert page.get_by_role("link", name="Skriv til stortingsrepresentantane dine").first.is_visible()


def test_every_page_works_without_javascript(browser, site, requests_seen):
    campaign, folder, origin = site
    context = browser.new_context(java_script_enabled=False)
    context.route("**/*", lambda route, request: (requests_seen.append(request.url),
                                                  route.continue_() if request.url.startswith(origin) else route.abort()))
    page = context.new_page()
    for name in all_pages(folder):
        response = page.goto(origin + name)
        assert response.status == 200, name
        assert page.locator("h1").count() == 1, name
        if "/distrikt/" in f"/{name}":
            assert page.locator("#skriv").is_hidden() and page.locator("#utkast-tekst").is_visible(), name
            draft = page.locator("#utkast-tekst").input_value()
            closing = "Med venleg helsing" if name.startswith("nn/") else "Med vennlig hilsen"
            assert draft.startswith("Kjære stortingsrepresenta") and closing in draft, name
            slug = name.rsplit("/", 1)[1].removesuffix(".html")
            district = next(d for d in DISTRICTS if district_slug(d) == slug)
            assert page.locator(".person").count() == len(representatives(campaign.folder, district)), name
        if name.endswith("representanter.html"):
            assert page.locator("#sok").is_hidden() and page.locator("#distrikter a").count() == 19
    # Printed without the script, a district page still carries the whole draft.
    from pypdf import PdfReader

    page.goto(origin + "distrikt/oslo.html")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True))).pages)
    assert "Kjære stortingsrepresentanter fra Oslo" in text and "Med vennlig hilsen" in " ".join(text.split())
    context.close()


def test_no_request_leaves_the_site(site, requests_seen, browser):
    """Runs after the others: everything any page asked for came from the site's own origin."""
    _, folder, origin = site
    # The first page alone, in a fresh profile: its own files and nothing else.
    context = browser.new_context()
    first: list[str] = []
    context.on("request", lambda request: first.append(request.url))
    context.new_page().goto(origin + "index.html", wait_until="networkidle")
    context.close()
    assert first == [origin + "index.html", origin + "assets/side.css"]
    assert len(requests_seen) > 100
    assert [url for url in requests_seen if not url.startswith(origin)] == []


def test_opened_from_disk_the_writer_works(browser, site):
    _, folder, _ = site
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((folder / "distrikt" / "oslo.html").as_uri())
    page.get_by_label("Ditt eget avsnitt").fill(OWN_WORDS)
    assert page.locator("#varsel").text_content() == "Avsnittet er skrevet med dine egne ord."
    context.close()
    assert errors == []


def test_one_column_on_a_phone(browser, site):
    _, _, origin = site
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(origin + "distrikt/oslo.html")
    cards = page.locator(".person").evaluate_all("cards => cards.map(c => c.getBoundingClientRect().left)")
    assert len(set(round(x) for x in cards)) == 1
    fields = page.locator(".fields").bounding_box()
    questions = page.locator(".questions").bounding_box()
    assert questions["y"] >= fields["y"] + fields["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_accessibility_no_serious_or_critical_violation(browser, site):
    assert AXE.is_file(), f"axe-core is missing at {AXE}: .ci/run installs it (npm install --prefix .cache/axe axe-core)"
    _, folder, origin = site
    # axe is added to every page before the page's own script runs; as an inline script, which the pages'
    # own policy forbids, so this profile bypasses the policy.
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(script=AXE.read_text(encoding="utf-8"))
    page = context.new_page()
    found = {}
    checked = []
    for name in all_pages(folder) + ["distrikt/oslo.html#skrevet"]:
        page.goto(origin + name.split("#")[0])
        if name.endswith("#skrevet"):  # the writer with a warning showing
            page.get_by_label("Navnet ditt").fill("Kari Nordmann")
            page.get_by_label("Ditt eget avsnitt").fill(reference_texts_example(folder))
            assert "ligner for mye" in page.locator("#varsel").text_content()
        result = page.evaluate("""() => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
        checked.append(len(result["passes"]))
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
        if bad:
            found[name] = bad
    context.close()
    assert found == {}
    assert min(checked) > 5  # axe ran its rules on every page


def reference_texts_example(folder: Path) -> str:
    """The first example paragraph, as the Oslo page shows it."""
    page = (folder / "distrikt" / "oslo.html").read_text(encoding="utf-8")
    return html.unescape(re.search(r'<blockquote class="example">(.*?)</blockquote>', page, re.S).group(1))
