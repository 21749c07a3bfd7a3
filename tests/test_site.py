"""The campaign site as files: every page, both written standards, escaped, self-contained, small."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import LETTER_DATE
from helpers import run
from site_helpers import HOSTILE_EXAMPLE, HOSTILE_NAME, HOSTILE_TITLE, representatives, site_campaign

from toolkit.letters.render import lookup_names, rank_demands
from toolkit.letters.similarity import fingerprint
from toolkit.opeds.outlets import DISTRICTS
from toolkit.site.pages import (
    CSP,
    MAX_SITE_BYTES,
    STORTINGET_EMAIL,
    TOKENS,
    build_site,
    copy_score,
    district_slug,
    group_recipient,
    reference_texts,
    site_size,
)
from toolkit.social.images import contrast_ratio
from toolkit.validate import check_campaign


class Page(HTMLParser):
    """Start tags with their attributes, the text, and the JSON data blocks of one page."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.json: dict[str, object] = {}
        self._script: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "script" and attrs.get("type") == "application/json":
            self._script = attrs["id"]

    def handle_endtag(self, tag):
        self._script = None if tag == "script" else self._script

    def handle_data(self, data):
        if self._script:
            self.json[self._script] = json.loads(data)
        else:
            self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def words(self) -> str:
        return " ".join("".join(self.text).split())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    campaign_dir = site_campaign(tmp_path_factory.mktemp("site") / "kampanje", hostile=True)
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert problems.errors == []
    report = build_site(campaign, "https://example.org/16dager/")
    return campaign, report, campaign.output_dir / "side"


def pages(folder: Path) -> dict[str, Page]:
    return {path.relative_to(folder).as_posix(): Page(path.read_text(encoding="utf-8")) for path in sorted(folder.rglob("*.html"))}


def test_every_page_in_both_written_standards_linked_to_each_other(built):
    _, report, folder = built
    found = pages(folder)
    slugs = sorted(district_slug(d) for d in DISTRICTS)
    expected = {"index.html", "representanter.html", "personvern.html", *(f"distrikt/{s}.html" for s in slugs)}
    assert set(found) == expected | {f"nn/{name}" for name in expected}
    assert report.pages == len(found) == 2 * (3 + 19)
    for name, page in found.items():
        language = "nn" if name.startswith("nn/") else "nb"
        assert ("html", {"lang": language}) in page.tags
        twin = name[3:] if language == "nn" else f"nn/{name}"
        alternate = [a for a in page.all("link") if a.get("rel") == "alternate"]
        assert len(alternate) == 1 and alternate[0]["hreflang"] == ("nb" if language == "nn" else "nn")
        assert (folder / name).parent.joinpath(alternate[0]["href"]).resolve() == (folder / twin).resolve()
        # Every link inside the site leads to a file that exists.
        for attrs in page.all("a") + page.all("link") + page.all("script"):
            target = attrs.get("href") or attrs.get("src")
            if target and not target.startswith(("mailto:", "https:", "http:", "#")):
                assert (folder / name).parent.joinpath(target.split("#")[0]).resolve().is_file(), (name, target)


def test_nothing_from_elsewhere_and_a_strict_policy_on_every_page(built):
    _, _, folder = built
    assert "script-src 'self'" in CSP and "default-src 'none'" in CSP and "connect-src 'none'" in CSP
    for name, page in pages(folder).items():
        policy = [a for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy"]
        assert [p["content"] for p in policy] == [CSP], name
        assert ("meta", {"name": "referrer", "content": "no-referrer"}) in page.tags
        for tag in ("script", "link", "img", "iframe", "object", "embed", "source"):
            for attrs in page.all(tag):
                source = attrs.get("src") or (attrs.get("href") if tag == "link" and attrs.get("rel") == "stylesheet" else "")
                assert not (source or "").startswith(("http:", "https:", "//")), (name, tag, attrs)
        # No inline script: the policy would block it. Data blocks are JSON, which is never run.
        for attrs in page.all("script"):
            assert "src" in attrs or attrs.get("type") == "application/json", (name, attrs)
        assert not [a for a in page.all("form") if a.get("action") or a.get("method")]
    for asset in folder.joinpath("assets").iterdir():
        text = asset.read_text(encoding="utf-8")
        assert "@import" not in text and "@font-face" not in text and "url(" not in text
        assert not re.search(r"https?://", text.replace("http://www.w3.org", "")), asset
        assert "cookie" not in text.lower() and "localStorage" not in text and "fetch(" not in text


def test_site_is_small(built):
    _, report, folder = built
    assert report.bytes == site_size(folder) < MAX_SITE_BYTES
    assert not [w for w in report.warnings if "kB" in w]


def test_each_district_page_lists_exactly_its_representatives(built):
    campaign, _, folder = built
    names = lookup_names(campaign)
    by_name = {r.name: r for r in campaign.recipients if r.kind == "mp"}
    for district, title in DISTRICTS.items():
        source = (folder / "distrikt" / f"{district_slug(district)}.html").read_text(encoding="utf-8")
        page = Page(source)
        shown = re.findall(r'<h2 class="name">(.*?)</h2>', source)
        expected = representatives(campaign.folder, district)
        assert len(shown) == len(expected) > 0
        assert sorted(html.unescape(s) for s in shown) == sorted(row["name"] for row in expected)
        assert f"Stortingsrepresentantene fra {title}" in page.words
        for row in expected:
            member = by_name[row["name"]]
            owned = [r.demand.title for r in rank_demands(campaign, member, names) if r.score > 0]
            assert all(title in page.words for title in owned)
            assert row["party_name"] in page.words
        data = page.json["brevdata"]
        verified = sorted(row["email"] for row in expected if row["email_verified"] == "ja")
        assert sorted(data["addresses"]) == verified
        assert (len(verified) == 3) == (district == "Os")
        # Unverified addresses are never shown or put in a link, only the Storting's own route.
        for row in expected:
            if row["email"] and row["email_verified"] != "ja":
                assert row["email"] not in page.words
        if len(verified) < len(expected):
            assert STORTINGET_EMAIL in page.words and "Karl Johans gate 22, 0026 Oslo" in page.words


def test_the_letter_ranks_demands_by_the_district_committees(built):
    campaign, _, folder = built
    members = [r for r in campaign.recipients if r.kind == "mp" and r.county == "Os"]
    group = group_recipient("Os", members)
    lead = [r.demand.title for r in rank_demands(campaign, group) if r.score > 0]
    others = [r.demand.title for r in rank_demands(campaign, group) if r.score == 0]
    variants = Page((folder / "distrikt" / "oslo.html").read_text(encoding="utf-8")).json["brevdata"]["variants"]
    assert len(variants) == 3
    for data in variants:
        bullets = [p["text"] for p in data["paragraphs"] if p["style"] == "ListBullet"]
        assert [b.split(" (")[0] for b in bullets] == lead and lead
        assert all(title[:1].lower() + title[1:] in " ".join(p["text"] for p in data["paragraphs"]) for title in others)
        texts = [p["text"] for p in data["paragraphs"]]
        assert texts[0] == "Kjære stortingsrepresentanter fra Oslo"
        assert TOKENS["paragraph"] in texts and any(TOKENS["name"] in t for t in texts)
        assert data["subject"] == f"Menneskehandel er vold mot kvinner: brev fra {TOKENS['name']}"
    # Three wordings: the opening, the sentence before the demands and the closing differ.
    for position in (1, 3, -3):
        assert len({data["paragraphs"][position]["text"] for data in variants}) == 3, position
    nn = Page((folder / "nn" / "distrikt" / "oslo.html").read_text(encoding="utf-8")).json["brevdata"]["variants"]
    assert [v["paragraphs"][1]["text"].split(" ")[0] for v in nn] == ["Eg", "I", "Temaet"]
    for data in nn:
        assert data["paragraphs"][0]["text"] == "Kjære stortingsrepresentantar frå Oslo"
        assert data["paragraphs"][-2]["text"] == "Med venleg helsing"


def test_draft_without_javascript_is_complete(built):
    _, _, folder = built
    html = (folder / "distrikt" / "oslo.html").read_text(encoding="utf-8")
    draft = re.search(r'<textarea id="utkast-tekst" readonly rows="18">(.*?)</textarea>', html, re.S).group(1)
    assert "[SKRIV DITT EGET AVSNITT HER" in draft and "[NAVNET DITT]" in draft and "Med vennlig hilsen" in draft
    shown = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)
    assert "\ue000" not in shown and "\ue000" in html  # stand-ins only in the data the script reads
    assert '<section id="skriv" class="writer" aria-labelledby="skriv-tittel" hidden>' in html
    link = re.search(r'id="utkast-epost" href="([^"]+)"', html).group(1)
    to, _, query = link.removeprefix("mailto:").partition("?")
    assert sorted(to.split(",")) == [f"representant-oslo-{n}@example.org" for n in range(3)]
    assert query.startswith("subject=Menneskehandel%20er%20vold%20mot%20kvinner")


def test_hostile_data_is_text(built):
    _, _, folder = built
    for name in ("distrikt/oslo.html", "index.html", "nn/distrikt/oslo.html"):
        html = (folder / name).read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, name
        page = Page(html)
        assert all(a.get("src", "").startswith("../") or a.get("src", "").startswith("assets/") or not a.get("src")
                   for a in page.all("script"))
        assert not page.all("img")
    oslo = Page((folder / "distrikt" / "oslo.html").read_text(encoding="utf-8"))
    assert HOSTILE_NAME in oslo.words and HOSTILE_EXAMPLE in oslo.words
    assert HOSTILE_TITLE in Page((folder / "index.html").read_text(encoding="utf-8")).words
    # The JSON block cannot be closed early by a name: "<" is written as \u003c there.
    raw = (folder / "distrikt" / "oslo.html").read_text(encoding="utf-8")
    block = raw.split('id="brevdata">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and "\\u003cimg" in block


def test_base_url_gives_canonical_links_and_share_preview(built, tmp_path):
    _, _, folder = built
    page = Page((folder / "distrikt" / "oslo.html").read_text(encoding="utf-8"))
    canonical = [a["href"] for a in page.all("link") if a.get("rel") == "canonical"]
    assert canonical == ["https://example.org/16dager/distrikt/oslo.html"]
    meta = {a["property"]: a["content"] for a in page.all("meta") if "property" in a}
    assert meta["og:url"] == canonical[0] and meta["og:title"] == "Stortingsrepresentantene fra Oslo"
    assert meta["og:locale"] == "nb_NO"
    front = Page((folder / "nn" / "index.html").read_text(encoding="utf-8"))
    assert [a["href"] for a in front.all("link") if a.get("rel") == "canonical"] == ["https://example.org/16dager/nn/"]
    # Without --base-url: no canonical link and no og:url, which would have to be guessed.
    campaign_dir = site_campaign(tmp_path / "kampanje")
    result = run("site", "--campaign", str(campaign_dir))
    assert result.exit_code == 0, result.output
    assert "44 sider" in result.output and "3 med kontrollert e-postadresse" in result.output
    plain = Page((campaign_dir / "ut" / "side" / "index.html").read_text(encoding="utf-8"))
    assert not [a for a in plain.all("link") if a.get("rel") == "canonical"]
    assert not [a for a in plain.all("meta") if a.get("property") == "og:url"]
    bad = run("site", "--campaign", str(campaign_dir), "--base-url", "example.org")
    assert bad.exit_code == 2 and "https://" in bad.output and "Traceback" not in bad.output


def test_front_page_has_the_demands_sources_and_organisation(built):
    campaign, _, folder = built
    page = Page((folder / "index.html").read_text(encoding="utf-8"))
    for demand in campaign.demands:
        assert demand.title in page.words and demand.ask in page.words
        for fact_id in demand.facts:
            assert campaign.facts[fact_id].citation in page.words
    assert campaign.organisation.name in page.words
    assert [a for a in page.all("a") if a.get("href") == "representanter.html" and "button" in a.get("class", "")]
    assert "Skriv til stortingsrepresentantene dine" in page.words
    nn = Page((folder / "nn" / "index.html").read_text(encoding="utf-8"))
    assert "Skriv til stortingsrepresentantane dine" in nn.words and "Dei fem krava våre" in nn.words
    assert campaign.demands[1].in_language("nn").title in nn.words
    privacy = Page((folder / "personvern.html").read_text(encoding="utf-8")).words
    assert "ingen informasjonskapsler" in privacy and "Content-Security-Policy" in privacy


def test_municipalities_come_only_from_the_campaigns_table(built, tmp_path):
    _, report, folder = built
    search = Page((folder / "representanter.html").read_text(encoding="utf-8")).json["sokedata"]
    assert search["municipalities"] == {"Bærum": ["akershus"], "Lunner": ["akershus"], "Sandefjord": ["vestfold"],
                                        "Våler": ["hedmark", "ostfold"], "Ås": ["akershus"]}
    assert len(search["districts"]) == 19 and report.municipalities == 5
    assert "fram til 2017" in Page((folder / "representanter.html").read_text(encoding="utf-8")).words
    # Without kommuner.csv the page says so.
    campaign_dir = site_campaign(tmp_path / "uten", municipalities=False)
    assert run("site", "--campaign", str(campaign_dir)).exit_code == 0
    words = Page((campaign_dir / "ut" / "side" / "representanter.html").read_text(encoding="utf-8")).words
    assert "Siden har ingen liste over kommunene" in words
    # A wrong district in the table is named with its row and field.
    (campaign_dir / "kommuner.csv").write_text("kommune,valgdistrikt\nLunner,Akershus\nAsker,Viken\n", encoding="utf-8")
    result = run("site", "--campaign", str(campaign_dir))
    assert result.exit_code == 2 and "kommuner.csv, rad 3, felt «valgdistrikt»" in result.output and "Viken" in result.output


def test_missing_site_template_is_a_clear_error(tmp_path):
    campaign_dir = site_campaign(tmp_path / "kampanje", municipalities=False)
    (campaign_dir / "letter_templates" / "nn" / "site_letter.j2").unlink()
    result = run("site", "--campaign", str(campaign_dir))
    assert result.exit_code == 2 and "letter_templates/nn/site_letter.j2" in result.output and "docs/site.md" in result.output
    assert not (campaign_dir / "ut" / "side").exists()


def test_build_writes_the_site(tmp_path):
    campaign_dir = site_campaign(tmp_path / "kampanje", municipalities=False)
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Nettside: 44 sider" in result.output
    assert (campaign_dir / "ut" / "side" / "nn" / "distrikt" / "finnmark.html").is_file()


def test_copy_score_in_python(built):
    campaign, _, _ = built
    references = [fingerprint(text) for _, text in reference_texts(campaign)]
    example = next(text for key, text in reference_texts(campaign) if key == "example-nb-1")
    argument = campaign.demands[2].arguments[0]
    own = ("Min søster jobbet et år på et hotell i Bergen, og hun fortalte om kolleger som aldri fikk fri og "
           "som bodde i kjelleren. Jeg tenker fortsatt på dem når jeg går forbi der.")
    assert copy_score(example, references) == 1.0
    assert copy_score(argument[:400], references) > 0.5  # part of a long argument: mostly copied
    assert copy_score(own, references) < 0.2
    assert copy_score("Kort.", references) == 0.0


def test_colours_meet_wcag_aa_contrast():
    css = (Path(__file__).parent.parent / "toolkit" / "data" / "site" / "side.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", css))
    for text, background in [("ink", "paper"), ("ink", "page"), ("muted", "paper"), ("muted", "page"),
                             ("ink", "orange"), ("orange-dark", "paper"), ("orange-dark", "page"),
                             ("paper", "ink"), ("paper", "orange-dark"), ("bad", "bad-bg"), ("good", "good-bg")]:
        assert contrast_ratio(colours[text], colours[background]) >= 4.5, (text, background)
    # Borders of form fields are user-interface components: 3:1 (WCAG 1.4.11).
    assert contrast_ratio(colours["line"], colours["paper"]) >= 3.0
