"""Images for posts: a card per Instagram post, in a font with æ, ø and å, with alt text, in every export."""

from __future__ import annotations

import csv
import io

import pytest
import yaml
from helpers import run
from PIL import Image, ImageDraw, ImageFont

from toolkit.social.images import Card, CardStyle, default_fonts, draw_card, glyph_bitmap, missing_letters
from toolkit.validate import check_campaign

LETTERS = "Æ Ø Å æ ø å"


def test_the_default_font_draws_norwegian_letters_not_the_missing_glyph_box():
    regular, bold = default_fonts()
    for path in (regular, bold):
        font = ImageFont.truetype(path, 64)
        box = glyph_bitmap(font, "\ue000")  # what this font draws for a character it lacks
        blank = glyph_bitmap(font, " ")
        assert box != blank  # Lato draws a visible box for a missing glyph: the comparison means something
        for letter in LETTERS.split():
            drawn = glyph_bitmap(font, letter)
            assert drawn != blank, letter  # something is drawn
            assert drawn != box, letter  # and it is not the box
        assert missing_letters(path) == ""
        assert missing_letters(path, "\ue001") == "\ue001"  # the check does find a missing glyph
    # The rendered line: each letter leaves its own, different mark.
    image = Image.new("L", (900, 120), 0)
    ImageDraw.Draw(image).text((10, 10), f"«{LETTERS}»", font=ImageFont.truetype(regular, 64), fill=255)
    assert image.getbbox() is not None


def test_a_card_with_norwegian_letters_differs_from_one_with_boxes():
    regular, bold = default_fonts()
    style = CardStyle("#4a1f5c", "#ffffff", "#f28c28", regular, bold, None, ("instagram",), "")

    def card(headline):
        return draw_card(Card("x.png", (1080, 1350), headline, "", "", "#16Days", "Organisasjonen", "nb"), style)

    real, boxes = card(LETTERS), card(" ".join("\ue000" * 6))
    assert real.size == (1080, 1350)
    assert real.tobytes() != boxes.tobytes()


def calendar_rows(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_every_instagram_post_of_the_shipped_calendar_has_a_card_and_alt_text(campaign_dir):
    campaign, problems = check_campaign(campaign_dir)
    assert not problems.errors, [str(p) for p in problems.errors]
    assert not [p for p in problems.items if "Instagram" in p.message and "bilde" in p.message]
    instagram = [p for p in campaign.calendar.posts if p.platform == "instagram"]
    assert len(instagram) >= 20
    assert all(p.image and p.alt_text.startswith("Tekstplakat: «") for p in instagram)

    result = run("calendar", "--campaign", str(campaign_dir), "--from", "2026-11-25")  # no post has passed yet
    assert result.exit_code == 0, result.output
    assert "trenger bilde" not in result.output
    out = campaign_dir / "ut" / "calendar"
    cards = sorted((out / "bilder").glob("*.jpg"))
    assert len(cards) == len({p.image for p in instagram})
    for path in cards:
        with Image.open(path) as image:
            assert image.size == (1080, 1350)
    rows = [r for r in calendar_rows(out / "posts.csv") if r["plattform"] == "Instagram"]
    assert rows and all(r["bilde"].endswith("-instagram.jpg") and r["alt-tekst"] and r["status"] == "ok" for r in rows)
    for row in rows:
        assert (campaign_dir / row["bilde"]).is_file()
    buffer = calendar_rows(out / "buffer" / "buffer-instagram.csv")
    assert buffer and all(r["Image URL"].startswith("bilder/") and (out / r["Image URL"]).is_file() for r in buffer)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('src="bilder/') >= len(rows)
    assert "trenger bilde" not in page

    # Rerun: unchanged cards are not drawn again.
    stamps = {path: path.stat().st_mtime_ns for path in cards}
    assert run("calendar", "--campaign", str(campaign_dir)).exit_code == 0
    assert {path: path.stat().st_mtime_ns for path in cards} == stamps
    # A card of a post that is gone is removed; a file the toolkit did not write is left alone.
    Image.new("RGB", (10, 10)).save(out / "bilder" / "mitt-eget.jpg")
    (out / "bilder" / "borte-instagram.jpg").write_bytes(cards[0].read_bytes())
    assert run("calendar", "--campaign", str(campaign_dir)).exit_code == 0
    assert (out / "bilder" / "mitt-eget.jpg").is_file() and not (out / "bilder" / "borte-instagram.jpg").exists()


def _edit_campaign(campaign_dir, **images):
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["images"] = {**data.get("images", {}), **images}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_base_url_puts_web_addresses_in_buffer_and_a_logo_on_the_card(campaign_dir):
    logo = Image.new("RGB", (300, 120), (0, 200, 0))
    logo.save(campaign_dir / "logo.png")
    _edit_campaign(campaign_dir, base_url="https://example.org/16dager/bilder", logo="logo.png", platforms=["facebook"])
    result = run("calendar", "--campaign", str(campaign_dir))
    assert result.exit_code == 0, result.output
    out = campaign_dir / "ut" / "calendar"
    buffer = calendar_rows(out / "buffer" / "buffer-instagram.csv")
    assert all(r["Image URL"].startswith("https://example.org/16dager/bilder/") for r in buffer)
    facebook = calendar_rows(out / "buffer" / "buffer-facebook.csv")
    assert all(r["Image URL"].endswith("-facebook.jpg") for r in facebook)
    with Image.open(next((out / "bilder").glob("*-facebook.jpg"))) as card:
        assert card.size == (1200, 630)
    with Image.open(next((out / "bilder").glob("*-instagram.jpg"))) as card:
        green = sum(1 for x in range(0, 1080, 4) for y in range(1000, 1350, 4)
                    if all(abs(a - b) < 16 for a, b in zip(card.getpixel((x, y)), (0, 200, 0), strict=True)))
        assert green > 100  # the logo is at the bottom


@pytest.mark.parametrize("images, words", [
    ({"font": "fonter/finnes-ikke.ttf"}, "Skriftfilen «fonter/finnes-ikke.ttf» finnes ikke"),
    ({"background": "lilla"}, "«lilla» er ikke en farge"),
    ({"text": "#555555", "background": "#4a4a4a"}, "for svak mot bakgrunnen"),
    ({"logo": "logo.gif"}, "Logoen «logo.gif» finnes ikke"),
    ({"base_url": "http://example.org"}, "er ikke en https-adresse"),
])
def test_bad_image_settings_are_errors_with_their_field(campaign_dir, images, words):
    _edit_campaign(campaign_dir, **images)
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 2
    assert words in result.output and "campaign.yaml" in result.output and "images." in result.output


def test_a_post_keeps_its_own_image_and_needs_alt_text(campaign_dir):
    Image.new("RGB", (1080, 1350), (10, 10, 10)).save(campaign_dir / "dag1.png")
    path = campaign_dir / "posts.yaml"
    text = path.read_text(encoding="utf-8")
    with_image = text.replace("  - id: apning\n", "  - id: apning\n    image: dag1.png\n    alt_text: Et svart bilde.\n", 1)
    start = with_image.index("  - id: apning")
    nn = with_image.index("\n    nn:\n", start) + len("\n    nn:\n")
    with_image = with_image[:nn] + "      alt_text: Eit svart bilete.\n" + with_image[nn:]
    path.write_text(with_image, encoding="utf-8")
    campaign, problems = check_campaign(campaign_dir)
    assert not problems.errors
    own = [p for p in campaign.calendar.posts if p.id == "apning" and p.platform == "instagram"]
    assert own and own[0].image == "dag1.png" and own[0].alt_text == "Et svart bilde."
    path.write_text(with_image.replace("    alt_text: Et svart bilde.\n", "", 1), encoding="utf-8")
    _, problems = check_campaign(campaign_dir)
    assert any("mangler alt-tekst" in p.message for p in problems.errors)
