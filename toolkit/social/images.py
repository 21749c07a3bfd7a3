"""Images for posts: a card per post for the platforms that need one (Instagram), drawn with Pillow.

A card is the post's key line (its title) in large type, the fact it cites and that fact's source in
small type (a post without a fact: its opening sentences), the campaign's first hashtag, and the
organisation's logo (or name), in the colours of
``images:`` in campaign.yaml, at the platform's preferred size (1080×1350 for an Instagram portrait
post). The type is Lato (the ``font-lato`` package, SIL Open Font License), which has æ, ø and å;
Pillow's built-in font draws them as empty boxes. An organisation can name its own font file.

Each card gets alt text written from what is on it. A post that names its own ``image`` (and
``alt_text``) in posts.yaml keeps it. The cards are written to ``<output>/calendar/bilder/``; a card
whose content has not changed since the last run is not drawn again (its inputs' hash is kept in
the JPEG file's comment).

    images:
      background: "#4a1f5c"     # the card's colour
      text: "#ffffff"           # the text's colour (checked for contrast against the background)
      accent: "#f28c28"         # the bar and the hashtag
      logo: logo.png            # a PNG or JPEG in the campaign folder (without it: the organisation's name)
      font: fonter/Egen.ttf     # optional: a TrueType/OpenType file with æ, ø and å
      font_bold: fonter/Egen-Bold.ttf
      platforms: [instagram]    # the platforms that get a card (Instagram always does)
      base_url: https://example.org/16dager/bilder/   # where calendar/bilder/ is put on the web, for Buffer
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

from toolkit.core.campaign import _Fields
from toolkit.core.errors import Problems
from toolkit.core.fsutil import atomic_writer, safe_stem
from toolkit.social.counting import PLATFORMS

# The calendar's folder in the output folder (the cards are in its images/ folder).
CALENDAR_DIR = "calendar"
# An image or a link given as a web address rather than a campaign file.
URL = re.compile(r"^https?://\S+$")

IMAGES_DIR = "bilder"
# The size each platform shows best, in pixels (see shared/reference/social.md): Instagram's portrait
# post, the others' link-card landscape.
SIZES = {
    "instagram": (1080, 1350), "threads": (1080, 1350), "facebook": (1200, 630), "linkedin": (1200, 627),
    "x": (1600, 900), "bluesky": (1200, 675), "mastodon": (1200, 675),
}
NEEDS_IMAGE = ("instagram",)
DEFAULTS = {"background": "#4a1f5c", "text": "#ffffff", "accent": "#f28c28"}
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
NORWEGIAN_LETTERS = "ÆØÅæøå"
SOURCE_LABELS = {"nb": "Kilde", "nn": "Kjelde"}
ALT_WORDS = {
    "nb": ("Tekstplakat", "Nederst"),
    "nn": ("Tekstplakat", "Nedst"),
}
CARD_VERSION = "1"  # part of every card's hash: a new layout draws every card again
CARD_MARK = b"toolkit-card "  # the JPEG comment of a card the toolkit drew, before its hash
IMAGE_TYPES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class CardStyle:
    """How the campaign's cards look: colours, fonts, logo; which platforms get one; where they go online."""

    background: str
    text: str
    accent: str
    font: str
    font_bold: str
    logo: Path | None
    platforms: tuple[str, ...]
    base_url: str


def default_fonts() -> tuple[str, str]:
    """Lato regular and bold from the font-lato package."""
    folder = files("font_lato") / "files"
    return str(folder / "Lato-Regular.ttf"), str(folder / "Lato-Bold.ttf")


def missing_letters(font_path: str, letters: str = NORWEGIAN_LETTERS) -> str:
    """The letters ``font_path`` has no glyph for: they come out as the font's missing-glyph box."""
    # PIL is imported where it is used: about 16 ms to import, too long for start-up.
    from PIL import ImageFont

    font = ImageFont.truetype(font_path, 48)
    missing_box = glyph_bitmap(font, "\ue000")  # a private-use character no text font draws
    blank = glyph_bitmap(font, " ")
    return "".join(letter for letter in letters if glyph_bitmap(font, letter) in (missing_box, blank))


def glyph_bitmap(font, character: str) -> bytes:
    """The pixels ``font`` draws for ``character`` on a small canvas, to compare glyphs."""
    # PIL is imported where it is used: about 16 ms to import, too long for start-up.
    from PIL import Image, ImageDraw

    size = int(getattr(font, "size", 48))
    image = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(image).text((size // 2, size // 4), character, font=font, fill=255)
    return image.tobytes()


def load_style(campaign, problems: Problems) -> CardStyle:
    """Read ``images:`` from campaign.yaml, recording problems with their line."""

    fields = _Fields(problems, "campaign.yaml", campaign.config.get("images"), "images")
    fields.unknown_keys({"background", "text", "accent", "logo", "font", "font_bold", "platforms", "base_url"})
    colours = {}
    for key, default in DEFAULTS.items():
        value = fields.text(key, required=False, default=default)
        if not COLOUR.match(value):
            fields.error(key, f"«{value}» er ikke en farge.", 'Skriv fargen som "#rrggbb" i anførselstegn, for eksempel "#4a1f5c".')
            value = default
        colours[key] = value.lower()
    if contrast_ratio(colours["text"], colours["background"]) < 4.5:
        fields.error("text", f"Teksten ({colours['text']}) er for svak mot bakgrunnen ({colours['background']}): "
                     f"kontrasten er {contrast_ratio(colours['text'], colours['background']):.1f}:1, og minst 4,5:1 trengs.",
                     "Velg en lysere tekst eller en mørkere bakgrunn.")
    regular, bold = default_fonts()
    font = fields.text("font", required=False)
    font_bold = fields.text("font_bold", required=False) or font
    paths = []
    for key, value, fallback in (("font", font, regular), ("font_bold", font_bold, bold)):
        if not value:
            paths.append(fallback)
            continue
        path = campaign.folder / value
        if not path.is_file():
            fields.error(key, f"Skriftfilen «{value}» finnes ikke i kampanjemappen.", "Skriv stien til en .ttf- eller .otf-fil.")
            paths.append(fallback)
            continue
        try:
            missing = missing_letters(str(path))
        except OSError:
            fields.error(key, f"«{value}» er ikke en skriftfil Pillow kan lese.", "Bruk en TrueType- (.ttf) eller OpenType-fil (.otf).")
            paths.append(fallback)
            continue
        if missing:
            fields.error(key, f"Skriften «{value}» mangler {' '.join(missing)}, som ville blitt tomme bokser.",
                         "Velg en skrift med norske bokstaver, eller fjern linjen for Lato.")
            paths.append(fallback)
            continue
        paths.append(str(path))
    logo = None
    logo_name = fields.text("logo", required=False)
    if logo_name:
        logo = campaign.folder / logo_name
        if not logo.is_file():
            fields.error("logo", f"Logoen «{logo_name}» finnes ikke i kampanjemappen.", "Skriv stien til en PNG- eller JPEG-fil.")
            logo = None
        elif logo.suffix.lower() not in IMAGE_TYPES:
            fields.error("logo", f"Logoen «{logo_name}» er ikke en PNG- eller JPEG-fil.", "Lagre logoen som PNG.")
            logo = None
    platforms = list(NEEDS_IMAGE)
    for name in fields.text_list("platforms"):
        if name not in PLATFORMS:
            fields.error("platforms", f"Ukjent plattform «{name}».", f"Bruk en av: {', '.join(PLATFORMS)}.")
        elif name not in platforms:
            platforms.append(name)
    base_url = fields.text("base_url", required=False)
    if base_url and not re.match(r"^https://\S+$", base_url):
        fields.error("base_url", f"«{base_url}» er ikke en https-adresse.", "Skriv adressen der mappen calendar/bilder legges ut.")
        base_url = ""
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    return CardStyle(colours["background"], colours["text"], colours["accent"], paths[0], paths[1], logo,
                     tuple(platforms), base_url)


@dataclass(frozen=True)
class Card:
    """One card to draw: its file, size, and the words on it."""

    file: str  # name in <output>/calendar/bilder/
    size: tuple[int, int]
    headline: str
    fact: str
    source: str
    hashtag: str
    organisation: str
    language: str

    def alt_text(self) -> str:
        """What the card shows, in words, for screen readers."""
        kind, bottom = ALT_WORDS.get(self.language, ALT_WORDS["nb"])
        parts = [f"{kind}: «{self.headline}»."]
        if self.fact:
            parts.append(self.fact if self.fact.endswith((".", "!", "?")) else self.fact + ".")
        if self.source:
            parts.append(f"{SOURCE_LABELS.get(self.language, 'Kilde')}: {self.source}.")
        footer = [part for part in (self.hashtag, self.organisation) if part]
        if footer:
            parts.append(f"{bottom}: {' og '.join(footer)}.")
        return " ".join(parts)


def card_for(post, platform: str, campaign) -> Card:
    """The card of one planned post on one platform."""
    fact = campaign.facts.get(post.fact_id) if post.fact_id else None
    words = fact.in_language(post.language) if fact else None
    suffix = "" if post.language == "nb" else f"-{post.language}"

    return Card(
        file=f"{safe_stem(post.id)}{suffix}-{platform}.jpg",
        size=SIZES[platform],
        headline=post.title.rstrip(" …"),
        fact=" ".join(words.text.split()) if words else key_line(post.text),
        source=words.citation if words else "",
        hashtag=campaign.hashtags[0] if campaign.hashtags else "",
        organisation=campaign.organisation.name,
        language=post.language,
    )


def key_line(text: str, most: int = 180) -> str:
    """The opening sentences of a post's text, whole, up to ``most`` characters: the card's line under the title."""
    first = " ".join(text.split("\n\n")[0].split())
    # A sentence ends at . ! or ? before a capital letter: "10. desember" goes on.
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ«\"])", first)
    line = ""
    for sentence in sentences:
        if len(line) + len(sentence) + 1 > most:
            break
        line = f"{line} {sentence}".strip()
    return line


def assign_cards(campaign, calendar, problems: Problems) -> None:
    """Give every post on a platform that gets cards, and has no image of its own, its card and alt text."""
    style = load_style(campaign, problems)
    calendar.card_style = style
    calendar.cards = {}
    posts = []
    for post in calendar.posts:
        if post.image or post.platform not in style.platforms:
            posts.append(post)
            continue
        card = card_for(post, post.platform, campaign)
        calendar.cards[card.file] = card
        path = image_path(campaign, card.file)
        posts.append(replace(post, image=path, alt_text=card.alt_text()))
    calendar.posts = tuple(posts)
    if calendar.cards and not style.base_url:
        problems.warning(
            "campaign.yaml",
            f"{len(calendar.cards)} innlegg får et bilde laget av verktøyet, men Buffer henter bilder fra en nettadresse.",
            "Legg mappen calendar/bilder ut på nettstedet og skriv adressen i «images.base_url»; til da står filnavnet "
            "i Buffer-filenes «Image URL», og bildene må legges til for hånd.",
            field="images.base_url",
        )


def image_path(campaign, name: str) -> str:
    """A card's path as posts name images: relative to the campaign folder where it can be."""
    full = campaign.output_dir / CALENDAR_DIR / IMAGES_DIR / name
    try:
        return full.relative_to(campaign.folder.resolve()).as_posix()
    except ValueError:
        return full.as_posix()


def web_address(post, calendar) -> str:
    """Where a bulk tool fetches the post's image: a web address, or a card's address under base_url."""
    if URL.match(post.image):
        return post.image
    style = getattr(calendar, "card_style", None)
    name = Path(post.image).name
    if style is None or name not in getattr(calendar, "cards", {}):
        return ""  # the organisation's own local image: it must be added in the tool
    if style.base_url:
        return style.base_url + name
    # Not yet on the web: the card's place in the calendar folder, so the row shows which image it needs
    # (validate says to upload the folder and set images.base_url).
    return f"{IMAGES_DIR}/{name}"


# --- drawing --------------------------------------------------------------------------------------


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def _fit(draw, text: str, path: str, width: int, height: int, largest: int, smallest: int):
    """The largest size (from ``largest`` down) at which ``text`` fits the box; its font and lines."""
    # PIL is imported where it is used: about 16 ms to import, too long for start-up.
    from PIL import ImageFont

    size = largest
    while True:
        font = ImageFont.truetype(path, size)
        lines = _wrap(draw, text, font, width)
        line_height = int(size * 1.22)
        if len(lines) * line_height <= height or size <= smallest:
            return font, lines, line_height
        size = max(smallest, int(size * 0.92))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def card_hash(card: Card, style: CardStyle) -> str:
    """A hash of everything that decides how the card looks."""
    digest = hashlib.sha256(CARD_VERSION.encode())
    for value in (repr(card), style.background, style.text, style.accent):
        digest.update(value.encode())
    for path in (style.font, style.font_bold, style.logo):
        if path:
            stat = os.stat(path)
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def draw_card(card: Card, style: CardStyle):
    """The card as a Pillow image."""
    # PIL is imported where it is used: about 16 ms to import, too long for start-up.
    from PIL import Image, ImageDraw, ImageFont

    width, height = card.size
    scale = min(width, height) / 1080
    margin = int(90 * scale)
    image = Image.new("RGB", (width, height), _rgb(style.background))
    draw = ImageDraw.Draw(image)
    text_colour, accent = _rgb(style.text), _rgb(style.accent)
    draw.rectangle((0, 0, width, int(24 * scale)), fill=accent)
    inner = width - 2 * margin

    # The footer: logo (or the organisation's name) on the left, the hashtag on the right.
    footer_height = int(120 * scale)
    footer_top = height - margin - footer_height
    if style.logo is not None:
        with Image.open(style.logo) as opened:
            logo = opened.convert("RGBA")
            logo.thumbnail((int(inner * 0.45), footer_height))
            image.paste(logo, (margin, footer_top + (footer_height - logo.height) // 2), logo)
    else:
        name_font, lines, line_height = _fit(draw, card.organisation, style.font_bold, int(inner * 0.55),
                                             footer_height, int(36 * scale), int(22 * scale))
        top = footer_top + (footer_height - len(lines) * line_height) // 2
        for line in lines:
            draw.text((margin, top), line, font=name_font, fill=text_colour)
            top += line_height
    if card.hashtag:
        tag_font = ImageFont.truetype(style.font_bold, int(44 * scale))
        tag_width = draw.textlength(card.hashtag, font=tag_font)
        draw.text((width - margin - tag_width, footer_top + footer_height // 2), card.hashtag, font=tag_font,
                  fill=accent, anchor="lm")

    # The source in small type just above the footer.
    bottom = footer_top - int(30 * scale)
    if card.source:
        source_font, lines, line_height = _fit(draw, f"{SOURCE_LABELS.get(card.language, 'Kilde')}: {card.source}",
                                               style.font, inner, int(150 * scale), int(28 * scale), int(20 * scale))
        bottom -= len(lines) * line_height
        top = bottom
        for line in lines:
            draw.text((margin, top), line, font=source_font, fill=text_colour)
            top += line_height
        bottom -= int(30 * scale)

    # The headline, and the fact under it, in the space left.
    top = margin + int(40 * scale)
    room = bottom - top
    fact_room = int(room * 0.5) if card.fact else 0
    head_font, lines, line_height = _fit(draw, card.headline, style.font_bold, inner, room - fact_room - int(40 * scale),
                                         int(96 * scale), int(48 * scale))
    for line in lines:
        draw.text((margin, top), line, font=head_font, fill=text_colour)
        top += line_height
    if card.fact:
        top += int(40 * scale)
        draw.rectangle((margin, top, margin + int(120 * scale), top + int(8 * scale)), fill=accent)
        top += int(40 * scale)
        fact_font, lines, line_height = _fit(draw, card.fact, style.font, inner, bottom - top,
                                             int(46 * scale), int(26 * scale))
        for line in lines:
            if top + line_height > bottom:
                break
            draw.text((margin, top), line, font=fact_font, fill=text_colour)
            top += line_height
    return image


def write_cards(campaign, calendar, folder: Path) -> list[Path]:
    """Draw every card into ``folder`` (cards whose hash is unchanged are kept); remove cards no longer used.

    The cards are JPEG (quality 95, no colour subsampling, so the type stays sharp): what Instagram
    takes and turns everything into, and a third of the time PNG needs to write a card.
    """
    # PIL is imported where it is used: about 16 ms to import, too long for start-up.
    from PIL import Image

    cards = getattr(calendar, "cards", {})
    style = getattr(calendar, "card_style", None)
    written = []
    for name, card in cards.items():
        assert isinstance(style, CardStyle)  # assign_cards sets the style with the first card
        path = folder / name
        key = card_hash(card, style)
        try:
            with Image.open(path) as old:
                if old.info.get("comment") == CARD_MARK + key.encode():
                    written.append(path)
                    continue
        except (OSError, ValueError, AttributeError):
            pass
        image = draw_card(card, style)
        with atomic_writer(path, durable=False) as handle:
            image.save(handle, format="JPEG", quality=95, subsampling=0, comment=CARD_MARK + key.encode())
        written.append(path)
    if folder.is_dir():
        for path in folder.glob("*.jpg"):
            if path.name not in cards and _is_card(path):
                path.unlink()  # a card of a post that is gone; any other file is left alone
    return written


def _is_card(path: Path) -> bool:
    # PIL is imported where it is used: about 16 ms to import, too long for start-up.
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.info.get("comment", b"").startswith(CARD_MARK)
    except (OSError, ValueError):
        return False


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a colour written #rrggbb."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two colours, from 1 to 21."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
