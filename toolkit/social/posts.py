"""The social-post calendar: reading posts.yaml, observances.yaml and the platforms, and planning every post.

Loading records every problem with file, line and field; planning turns each post into one
``SocialPost`` per platform, with its text exactly as it will be posted, its publishing time in the
campaign's time zone, and its count by that platform's own rules (``toolkit.social.counting``).

A post is written in bokmål and may carry an ``nn:`` block with the same keys in nynorsk. Each
platform account posts in its own written standard (``platforms.<name>.language``, by default the
campaign's): an account in nynorsk gets the nynorsk text, never the bokmål one in its place.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from toolkit.core.campaign import _Fields, parse_time
from toolkit.core.errors import Problem, Problems
from toolkit.core.model import LANGUAGES, Campaign, Observance, PlatformSettings, PostCalendar, SocialPost
from toolkit.core.sources import LineDict, LineList, load_yaml
from toolkit.core.tabular import FORMULA_STARTS
from toolkit.core.templates import format_date, join_and
from toolkit.social import counting
from toolkit.social.images import URL, assign_cards

POSTS_FILE = "posts.yaml"
OBSERVANCES_FILE = "observances.yaml"
# Defaults where a platform's own rules decide: Threads allows one topic tag, Instagram five
# hashtags and shows links as plain text.
DEFAULT_HASHTAGS = {"threads": counting.THREADS_MAX_TAGS, "instagram": counting.INSTAGRAM_MAX_HASHTAGS}
DEFAULT_LINK = {"instagram": False}
POST_KEYS = {"id", "date", "title", "text", "short", "long", "caption", "variants", "platforms", "fact", "demand",
             "image", "alt_text", "link", "time", "nn"}
# The keys of a post's words, in bokmål at the top of the post and in nynorsk under ``nn:``.
WORDS_KEYS = {"title", "text", "short", "long", "caption", "variants", "alt_text"}
# A post's forms: a short one for X and Bluesky, a fuller one for Facebook and LinkedIn, a caption
# for Instagram; «text» for the rest (and for any platform whose form is missing). A platform's own
# variant comes before its form.
FORMS = {"x": "short", "bluesky": "short", "facebook": "long", "linkedin": "long", "instagram": "caption"}
# More platforms than this with one text on one day is a warning: followers see the same words everywhere.
SAME_TEXT_PLATFORMS = 3
PLATFORM_KEYS = {"enabled", "weekday_times", "weekend_times", "limit", "hashtags", "link", "language"}
# The line naming a fact's source at the end of a post, in each written standard.
SOURCE_LABELS = {"nb": "Kilde", "nn": "Kjelde"}
WEEKEND = (5, 6)  # date.weekday() of Saturday and Sunday


def _times(fields: _Fields, key: str, default: tuple[time, ...] | None = None) -> tuple[time, ...]:
    value = fields.data.get(key)
    if value is None:
        if default is None:
            fields.error(key, "Mangler.", f'Skriv klokkeslettene som en liste: «{key}: ["09:00", "19:30"]».')
            return ()
        return default
    values = value if isinstance(value, list) else [value]
    read = [parse_time(v) for v in values]
    bad = [str(v) for v, t in zip(values, read, strict=True) if t is None]
    parsed = [t for t in read if t is not None]
    if bad or not values:
        fields.error(key, f"«{', '.join(bad) or 'tom liste'}» er ikke klokkeslett.",
                     'Skriv dem som TT:MM i anførselstegn, for eksempel "09:00".')
        return default or ()
    if parsed != sorted(set(parsed)):
        fields.error(key, "Klokkeslettene skal stå i rekkefølge, uten gjentakelser.", "Sorter listen fra tidligst til senest.")
        return tuple(sorted(set(parsed)))
    return tuple(parsed)


def load_platforms(campaign: Campaign, problems: Problems) -> tuple[PlatformSettings, ...]:
    """Read the ``platforms:`` section of campaign.yaml."""
    label = "campaign.yaml"
    section = campaign.config.get("platforms")
    if section is None:
        problems.error(
            label, "Mangler «platforms», så postkalenderen vet ikke hvilke kontoer den skal planlegge for.",
            "Legg til «platforms:» med x, bluesky, … (se docs/campaign-files.md).", field="platforms",
        )
        return ()
    root = _Fields(problems, label, section, "platforms")
    platforms = []
    for key in root.data:
        if key not in counting.PLATFORMS:
            root.error(str(key), f"Ukjent plattform «{key}».", f"Bruk en av: {', '.join(counting.PLATFORMS)}.")
    for platform in counting.PLATFORMS:
        if platform not in root.data:
            continue
        fields = root.mapping(platform)
        fields.unknown_keys(PLATFORM_KEYS)
        enabled = fields.boolean("enabled", True)
        weekday = _times(fields, "weekday_times") if enabled else _times(fields, "weekday_times", ())
        weekend = _times(fields, "weekend_times", weekday)
        limit = counting.DEFAULT_LIMITS[platform]
        if "limit" in fields.data:
            if platform in counting.CONFIGURABLE_LIMITS:
                limit = fields.integer("limit", limit, 1, 100_000)
            else:
                fields.error(
                    "limit", f"Grensen for {counting.PLATFORM_NAMES[platform]} er fast ({limit}) og kan ikke endres.",
                    "Fjern linjen. Bare X, Mastodon og Facebook har grenser som varierer.",
                )
        hashtags = DEFAULT_HASHTAGS.get(platform)
        if "hashtags" in fields.data:
            hashtags = fields.integer("hashtags", hashtags or 0, 0, 30)
        language = fields.text("language", required=False, default=campaign.language)
        if language not in LANGUAGES:
            fields.error("language", f"Ukjent språk «{language}».",
                         f"Bruk nb (bokmål) eller nn (nynorsk), eller fjern linjen for kampanjens språk ({campaign.language}).")
            language = campaign.language
        platforms.append(PlatformSettings(
            id=platform,
            name=counting.PLATFORM_NAMES[platform],
            enabled=enabled,
            weekday_times=weekday,
            weekend_times=weekend,
            limit=limit,
            hashtags=hashtags,
            link=fields.boolean("link", DEFAULT_LINK.get(platform, True)),
            language=language,
        ))
    if not any(p.enabled for p in platforms):
        root.problems.error(
            label, "Ingen plattform er slått på.", "Sett «enabled: true» på minst én plattform under «platforms».",
            line=root.line or None, field="platforms",
        )
    return tuple(platforms)


def load_observances(campaign: Campaign, problems: Problems) -> tuple[Observance, ...]:
    """Read observances.yaml: the days in the period the world marks, each with its source."""
    label = OBSERVANCES_FILE
    data = load_yaml(campaign.folder / label, problems, label)
    if data is None:
        return ()
    items = data.get("observances")
    if not isinstance(items, list):
        problems.error(label, "Mangler listen «observances».", "Start filen med «observances:» og en liste.", line=1)
        return ()
    observances: dict[date, Observance] = {}
    for index, item in enumerate(items):
        fields = _Fields(problems, label, item, f"observances[{index + 1}]", items.line_of(index) if isinstance(items, LineList) else 0)
        day = fields.date("date")
        name = fields.text("name")
        source = fields.text("source")
        if day is None:
            continue
        if not campaign.start <= day <= campaign.end:
            fields.error("date", f"{format_date(day)} er utenfor kampanjeperioden.", _period_hint(campaign))
            continue
        if day in observances:
            fields.error("date", f"{format_date(day)} står to ganger.", "Slå dem sammen til én dag med ett navn.")
            continue
        observances[day] = Observance(day, name, source, fields.text("theme", required=False))
    return tuple(sorted(observances.values(), key=lambda o: o.date))


def _period_hint(campaign: Campaign) -> str:
    return f"Perioden er {format_date(campaign.start)}–{format_date(campaign.end)} (se «period» i campaign.yaml)."


def _clean(text: str) -> str:
    """The text as it will be posted: NFC (as platforms count), no trailing spaces on any line."""
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


class _Words:
    """A post's words in one written standard: title, text, per-platform variants and alt text.

    The bokmål words are the post's own keys; the nynorsk words are the same keys under ``nn:``,
    read and checked by the same code. ``key`` is how the user finds them: "" or "nn.".
    """

    def __init__(self, fields: _Fields, image: str, key: str = ""):
        self.fields = fields
        self.key = key
        self.text = _clean(fields.text("text", one_line=False))
        self.forms = {form: _clean(fields.text(form, required=False, one_line=False))
                      for form in ("short", "long", "caption") if form in fields.data}
        self.forms = {form: text for form, text in self.forms.items() if text}
        self.title = fields.text("title", required=False)
        self.variants = self._variants(fields.data.get("variants"))
        self.alt_text = _clean(fields.text("alt_text", required=False, one_line=False))
        if image and not self.alt_text:
            fields.error("alt_text", f"Innlegget har bilde, men mangler alt-tekst{' på nynorsk' if key else ''}.",
                         f"Beskriv bildet i «{key}alt_text» for dem som bruker skjermleser.")
        if self.alt_text and not image:
            fields.problems.warning(fields.label, "Alt-teksten blir ikke brukt fordi innlegget ikke har bilde.",
                                    f"Legg til «image», eller fjern «{key}alt_text».", line=fields._line("alt_text"),
                                    field=fields._name("alt_text"))
        self._warn_formula_start()

    def _warn_formula_start(self) -> None:
        """A text a spreadsheet would take for a formula gets an apostrophe in the CSV exports: say so."""
        for key, text in [("text", self.text)] + list(self.forms.items()) + [(f"variants.{k}", v) for k, v in self.variants.items()]:
            if text.startswith(FORMULA_STARTS):
                self.fields.problems.warning(
                    self.fields.label,
                    f"Teksten begynner med «{text[0]}». I CSV-filene får den en apostrof foran, så et regneark "
                    "ikke kan kjøre den som en formel, og apostrofen blir med hvis filen lastes opp slik.",
                    "Begynn teksten med et annet tegn.", line=self.line_for(key.removeprefix("variants.")),
                    field=f"{self.fields.prefix}.{key}",
                )

    def _variants(self, value) -> dict[str, str]:
        if value is None:
            return {}
        fields = self.fields.mapping("variants")
        variants = {}
        for key in fields.data:
            if key not in counting.PLATFORMS:
                fields.error(str(key), f"Ukjent plattform «{key}».", f"Bruk en av: {', '.join(counting.PLATFORMS)}.")
                continue
            text = fields.text(key, one_line=False)
            if text:
                variants[key] = _clean(text)
        return variants

    def key_for(self, platform: str) -> str:
        """Which of the words ``platform`` posts: ``variants.x``, ``short``, ``long``, ``caption`` or ``text``."""
        if platform in self.variants:
            return f"variants.{platform}"
        form = FORMS.get(platform)
        return form if form in self.forms else "text"

    def body(self, platform: str) -> str:
        key = self.key_for(platform)
        if key.startswith("variants."):
            return self.variants[platform]
        return self.forms[key] if key in self.forms else self.text

    def field_for(self, platform: str) -> str:
        """The full field of the text ``platform`` posts, as problems name it: ``posts[3].nn.variants.x``."""
        return f"{self.fields.prefix}.{self.key_for(platform)}"

    def line_for(self, platform: str) -> int | None:
        key = self.key_for(platform)
        if key.startswith("variants."):
            return self.fields.mapping("variants")._line(platform)
        return self.fields._line(key)


class _Post:
    """One entry of posts.yaml after checking, before it is planned per platform."""

    def __init__(self, fields: _Fields, campaign: Campaign, platforms: dict[str, PlatformSettings], seen: set[str]):
        self.fields = fields
        self.line = fields.line
        self.id = fields.item_id(seen, "Hvert innlegg", ": den holder kalenderen stabil")
        fields.unknown_keys(POST_KEYS)
        self.date = fields.date("date")
        if self.date and not campaign.start <= self.date <= campaign.end:
            fields.error("date", f"{format_date(self.date)} er utenfor kampanjeperioden.", _period_hint(campaign))
            self.date = None
        self.image = fields.text("image", required=False)
        self.words = {"nb": _Words(fields, self.image)}
        if fields.data.get("nn") is not None:
            nn = fields.mapping("nn")
            nn.unknown_keys(WORDS_KEYS)
            self.words["nn"] = _Words(nn, self.image, "nn.")
        self.platforms = fields.text_list("platforms")
        for name in self.platforms:
            if name not in counting.PLATFORMS:
                fields.error("platforms", f"Ukjent plattform «{name}».", f"Bruk en av: {', '.join(counting.PLATFORMS)}.")
            elif name not in platforms:
                fields.error("platforms", f"Plattformen «{name}» er ikke satt opp i campaign.yaml.",
                             "Legg den til under «platforms», eller fjern den her.")
        self.fact = campaign.facts.get(fields.text("fact", required=False)) if "fact" in fields.data else None
        if "fact" in fields.data and self.fact is None:
            fields.error("fact", f"Faktumet «{fields.data.get('fact')}» finnes ikke i facts.yaml.", "Bruk en id fra facts.yaml.")
        self._check_languages(platforms)
        self.demand = fields.text("demand", required=False)
        if self.demand and self.demand not in {d.id for d in campaign.demands}:
            fields.error("demand", f"Kravet «{self.demand}» finnes ikke i demands.yaml.", "Bruk en id fra demands.yaml.")
        if self.image and not URL.match(self.image) and not (campaign.folder / self.image).is_file():
            fields.error("image", f"Bildet «{self.image}» finnes ikke i kampanjemappen.",
                         "Skriv stien relativt til kampanjemappen, for eksempel bilder/dag1.png, eller en https-adresse.")
        self.link = self._link(fields, campaign)
        self.time = None
        if "time" in fields.data:
            self.time = parse_time(fields.data["time"])
            if self.time is None:
                fields.error("time", f"«{fields.data['time']}» er ikke et klokkeslett.", 'Skriv det som TT:MM, for eksempel "12:00".')

    def _check_languages(self, platforms: dict[str, PlatformSettings]) -> None:
        """An account that posts in nynorsk needs the post, and its fact's source, in nynorsk: no bokmål in their place."""
        nynorsk = [p.name for p in platforms.values()
                   if p.enabled and (not self.platforms or p.id in self.platforms) and p.language == "nn"]
        if not nynorsk:
            return
        hint = "eller sett «language: nb» på plattformen under «platforms» i campaign.yaml."
        if "nn" not in self.words:
            self.fields.problems.error(
                self.fields.label,
                f"Innlegget «{self.id}» skal ut på nynorsk på {join_and(nynorsk)}, men har ingen nynorsk tekst.",
                f"Skriv teksten på nynorsk under «nn:» med «text: |» (se toppen av posts.yaml), {hint}",
                line=self.line or None, field=f"{self.fields.prefix}.nn.text",
            )
        if self.fact is not None and "nn" not in self.fact.translations:
            self.fields.error(
                "fact", f"Faktumet «{self.fact.id}» finnes ikke på nynorsk, men innlegget «{self.id}» skal ut på nynorsk "
                f"på {join_and(nynorsk)} med kilden.",
                f"Legg til «nn:» med «text» (og «source» hvis kilden skrives annerledes) under faktumet i facts.yaml, {hint}",
            )

    def words_for(self, platform: PlatformSettings) -> _Words | None:
        """The words ``platform`` posts, in its written standard; None if the post lacks them."""
        return self.words.get(platform.language)

    def words_on(self, platform: PlatformSettings) -> _Words:
        """The words ``platform`` posts, where the post is planned: only there, where they exist."""
        words = self.words.get(platform.language)
        assert words is not None, f"{self.id} has no words in {platform.language}"
        return words

    def _link(self, fields: _Fields, campaign: Campaign) -> str | None:
        """The post's link: None = the campaign link, "" = none, or its own URL."""
        value = fields.data.get("link")
        if value is None or value is True:
            return None
        if value is False:
            return ""
        if isinstance(value, str) and URL.match(value.strip()):
            return value.strip()
        fields.error("link", f"«{value}» er verken en lenke eller true/false.", "Skriv en https-adresse, eller false for ingen lenke.")
        return None


def compose(post: _Post, platform: PlatformSettings, campaign: Campaign) -> tuple[str, tuple[str, ...], str]:
    """The text exactly as posted on ``platform``, in its written standard: body, the fact's source, link, hashtags."""
    language = platform.language
    parts = [post.words_on(platform).body(platform.id)]
    if post.fact is not None:
        parts.append(f"{SOURCE_LABELS[language]}: {post.fact.in_language(language).citation}.")
    link = campaign.link if post.link is None else post.link
    if not platform.link:
        link = ""
    tags = campaign.hashtags if platform.hashtags is None else campaign.hashtags[: platform.hashtags]
    tail = [part for part in (link, " ".join(tags)) if part]
    if tail:
        parts.append("\n".join(tail))
    return "\n\n".join(part for part in parts if part), tuple(tags), link


def _title(words: _Words) -> str:
    if words.title:
        return words.title
    first = words.text.split("\n")[0]
    if len(first) <= 60:
        return first
    return first[:60].rsplit(" ", 1)[0] + " …"


def load_posts(campaign: Campaign, problems: Problems) -> PostCalendar | None:
    """Read posts.yaml, observances.yaml and the platforms, and plan every post; None without posts.yaml."""
    path = campaign.folder / POSTS_FILE
    if not path.exists():
        problems.warning(POSTS_FILE, "Filen finnes ikke, så det blir ingen postkalender.",
                         "Kopier posts.yaml og observances.yaml fra den utleverte kampanjen for å lage en.")
        return None
    platforms = load_platforms(campaign, problems)
    observances = load_observances(campaign, problems)
    data = load_yaml(path, problems, POSTS_FILE)
    if data is None:
        return None
    items = data.get("posts")
    if not isinstance(items, LineList) or not items:
        problems.error(POSTS_FILE, "Mangler listen «posts».", "Start filen med «posts:» og en liste med innlegg.", line=1)
        return None
    by_id = {p.id: p for p in platforms}
    seen: set[str] = set()
    entries = []
    for index, item in enumerate(items):
        fields = _Fields(problems, POSTS_FILE, item, f"posts[{index + 1}]", items.line_of(index))
        if not isinstance(item, LineDict):
            continue
        entries.append(_Post(fields, campaign, by_id, seen))
    calendar = PostCalendar(platforms=platforms, observances=observances, posts=())
    calendar.posts = tuple(_plan(campaign, calendar, entries, problems))
    # Posts on Instagram (and the platforms images.platforms names) without an image get a card.
    assign_cards(campaign, calendar, problems)
    calendar.entries = tuple(entries)
    return calendar


def _check_same_text(calendar: PostCalendar, entries: list[_Post], problems: Problems) -> None:
    """Warn when one text goes out on more than SAME_TEXT_PLATFORMS platforms on one day."""
    by_id = {entry.id: entry for entry in entries}
    platforms = {p.id: p for p in calendar.enabled}
    uses: dict[tuple, list[tuple[str, str]]] = {}
    for post in calendar.posts:
        entry = by_id.get(post.id)
        if entry is None:
            continue
        words = entry.words_on(platforms[post.platform])
        uses.setdefault((post.date, post.language, words.body(post.platform)), []).append((post.platform, post.id))
    for (day, language, _body), found in uses.items():
        if len(found) <= SAME_TEXT_PLATFORMS:
            continue
        used = [platform for platform, _ in found]
        entry = by_id[found[0][1]]
        words = entry.words_on(platforms[used[0]])
        names = join_and(counting.PLATFORM_NAMES[p] for p in used)
        problems.warning(
            POSTS_FILE,
            f"Innlegget «{entry.id}» {format_date(day)} har samme tekst{' på nynorsk' if language == 'nn' else ''} på "
            f"{len(used)} plattformer ({names}).",
            f"Skriv egne former under «{words.key}short» (X og Bluesky), «{words.key}long» (Facebook og LinkedIn) "
            f"og «{words.key}caption» (Instagram), så ingen tekst går ut på mer enn {SAME_TEXT_PLATFORMS} plattformer.",
            line=words.line_for(used[0]), field=words.field_for(used[0]),
        )


def _plan(campaign: Campaign, calendar: PostCalendar, entries: list[_Post], problems: Problems) -> list[SocialPost]:
    zone = ZoneInfo(campaign.timezone)
    planned: list[SocialPost] = []
    for platform in calendar.enabled:
        for day_number, day in enumerate(campaign.days, start=1):
            # A post without words in the platform's language is left out; _check_languages said so.
            todays = [p for p in entries if p.date == day and (not p.platforms or platform.id in p.platforms)
                      and p.words_for(platform) is not None]
            weekend = day.weekday() in WEEKEND
            times = platform.weekend_times if weekend else platform.weekday_times
            if not times:
                continue  # the platform's times are wrong, and that error is already reported
            used: dict[time, _Post] = {}
            for slot, post in enumerate(todays, start=1):
                at = post.time
                if at is None and slot <= len(times):
                    at = times[slot - 1]
                if at is None:
                    which = "weekend_times" if weekend else "weekday_times"
                    post.fields.error(
                        "date",
                        f"{format_date(day)} har {len(todays)} innlegg på {platform.name}, men bare {len(times)} "
                        f"klokkeslett i «platforms.{platform.id}.{which}».",
                        "Legg til et klokkeslett der, eller gi innlegget et eget «time».",
                    )
                    continue
                if at in used:
                    post.fields.error(
                        "time", f"{platform.name} har allerede et innlegg {format_date(day)} kl. {at:%H:%M} («{used[at].id}»).",
                        "Velg et annet klokkeslett.",
                    )
                    continue
                used[at] = post
                planned.append(_social_post(campaign, calendar, post, platform, day, day_number, slot, at, zone, problems))
    return sorted(planned, key=lambda p: (p.publish_at, counting.PLATFORMS.index(p.platform), p.id))


def _social_post(campaign, calendar, post: _Post, platform: PlatformSettings, day: date, day_number: int,
                 slot: int, at: time, zone: ZoneInfo, problems: Problems) -> SocialPost:
    words = post.words_on(platform)
    text, tags, link = compose(post, platform, campaign)
    limit = platform.limit if platform.id in counting.CONFIGURABLE_LIMITS else None
    result = counting.count(platform.id, text, limit)
    rule_problems = list(result.problems)
    alt_limit = counting.ALT_TEXT_LIMITS.get(platform.id)
    if post.image and alt_limit and len(words.alt_text) > alt_limit:
        rule_problems.append(f"{platform.name}: alt-teksten er {len(words.alt_text) - alt_limit} tegn for lang "
                             f"({len(words.alt_text)} av {alt_limit}).")
    for message in rule_problems:
        problem = Problem(
            POSTS_FILE, f"Innlegget «{post.id}» {format_date(day)}: {message}",
            f"Kort ned teksten, eller skriv en kortere variant for denne plattformen under «{words.key}variants».",
            line=words.line_for(platform.id), field=words.field_for(platform.id),
        )
        problems.items.append(problem)
        calendar.rule_problems.append(problem)
    observance = calendar.observance_on(day)
    return SocialPost(
        id=post.id,
        platform=platform.id,
        day=day_number,
        date=day,
        slot=slot,
        publish_at=datetime.combine(day, at, tzinfo=zone),
        title=_title(words),
        text=text,
        hashtags=tags,
        link=link,
        image=post.image,
        alt_text=words.alt_text if post.image else "",
        observance=observance.name if observance else "",
        fact_id=post.fact.id if post.fact else "",
        demand_id=post.demand,
        count=result.count,
        limit=result.limit,
        language=platform.language,
        problems=tuple(rule_problems),
    )


def _check_coverage(campaign: Campaign, calendar: PostCalendar, problems: Problems) -> None:
    """Warn about days without a post on an enabled platform, and Instagram posts without an image."""
    for platform in calendar.enabled:
        days = {p.date for p in calendar.posts if p.platform == platform.id}
        missing = [d for d in campaign.days if d not in days]
        if missing:
            problems.warning(
                POSTS_FILE, f"{platform.name} har ingen innlegg {', '.join(format_date(d, with_year=False) for d in missing)}.",
                "Legg til innlegg for disse dagene, eller slå av plattformen i campaign.yaml.",
            )
    without_image = [p for p in calendar.posts if p.platform == "instagram" and not p.image]
    if without_image:
        problems.warning(
            POSTS_FILE,
            f"{len(without_image)} innlegg på Instagram har ikke bilde, og Instagram publiserer ikke innlegg uten bilde.",
            "Legg til «image» og «alt_text» på innleggene, eller slå av Instagram i campaign.yaml. "
            "Kalenderen merker dem «trenger bilde».",
            field="image",
        )


def check_posts(campaign: Campaign, calendar: PostCalendar, problems: Problems) -> None:
    """Validation step: warn about days without posts and posts that share their text (the posts were
    read by ``load_posts``, which reports each post's own problems)."""
    _check_coverage(campaign, calendar, problems)
    _check_same_text(calendar, list(calendar.entries), problems)


# A post's state in words, for the exports and the calendar page.
PAST_STATUS = "publisert/passert"


def is_past(post: SocialPost, now: datetime | None) -> bool:
    """True when the post's time has come and gone at ``now`` (None: nothing is past)."""
    return now is not None and post.publish_at <= now


def status(post: SocialPost, now: datetime | None = None) -> str:
    """The post's state in words, for the CSV and the calendar page."""
    if is_past(post, now):
        return PAST_STATUS
    if post.problems:
        return "UGYLDIG: " + " ".join(post.problems)
    if post.platform == "instagram" and not post.image:
        return "trenger bilde"
    return "ok"
