"""The campaign site's own words, in bokmål and nynorsk (the campaign's words come from its files)."""

from __future__ import annotations

from typing import Any

MONTHS = {
    "nb": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"],
    "nn": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"],
}

# language -> key -> a text, a list of texts or (under "js") the script's own texts
TEXTS: dict[str, dict[str, Any]] = {
    "nb": {
        "site_name": "16 dager mot vold mot kvinner {year}",
        "skip": "Gå til innholdet",
        "other_language": "Les på nynorsk",
        "other_language_code": "nn",
        "nav_label": "Hovedmeny",
        "nav_home": "Forside",
        "nav_find": "Finn representantene dine",
        "nav_privacy": "Personvern",
        "cta": "Skriv til stortingsrepresentantene dine",
        "demands_heading": "Våre fem krav",
        "our_ask": "Vårt krav:",
        "read_case": "Les begrunnelsen",
        "sources": "Kilder",
        "about": "Om {name}",
        "about_text": "Kampanjen er laget av {name}.",
        "address": "Adresse",
        "contact": "E-post",
        "website": "Nettsted",
        "find_heading": "Finn stortingsrepresentantene dine",
        "find_lead": "Stortinget har 169 representanter fra 19 valgdistrikter. Velg distriktet du bor i, så ser du representantene derfra "
                     "og kan skrive til dem.",
        "district_note": "Valgdistriktene følger fylkene slik de var fram til 2017 (Hedmark og Oppland, ikke Innlandet). Unntak: Lunner og "
                         "de tidligere kommunene Hurum og Røyken (nå i Asker) hører til Akershus.",
        "no_table_note": "Siden har ingen liste over kommunene. Skriv fylket kommunen din lå i fram til 2017, eller velg fra listen.",
        "search_label": "Valgdistrikt eller kommune",
        "search_button": "Finn",
        "districts_heading": "De 19 valgdistriktene",
        "reps_count": "{n} representanter",
        "reps_none": "ingen representanter lagt inn",
        "district_heading": "Stortingsrepresentantene fra {district}",
        "district_lead": "Her er representantene fra {district}, partiet deres og komiteene de sitter i. Under kan du skrive et brev til "
                         "dem.",
        "party": "Parti",
        "committees": "Komiteer",
        "no_committee": "Sitter ikke i en fagkomité.",
        "owns": "Krav komiteene behandler",
        "owns_none": "Ingen av de fem kravene.",
        "email": "E-post",
        "no_email": "Ingen kontrollert e-postadresse: skriv via Stortinget (se nedenfor).",
        "no_reps": "Kampanjen har ikke lagt inn representantene fra {district} ennå. Du kan likevel skrive brevet og sende det via "
                   "Stortinget.",
        "route_heading": "Slik når du representanter uten kontrollert e-postadresse",
        "route_text": "Send brevet i posten med representantens navn på konvolutten, eller til Stortingets postmottak med representantens "
                      "navn i emnefeltet:",
        "route_postal": "Post",
        "route_email": "E-post til Stortingets postmottak",
        "route_who": "Gjelder",
        "to_representatives": "Stortingsrepresentantene fra {district}",
        "writer_heading": "Skriv brevet",
        "writer_lead": "Brevet er satt sammen av kampanjens tekst og ditt eget avsnitt. Det viktigste er avsnittet: skriv med dine egne "
                       "ord hvorfor dette betyr noe for deg.",
        "name_label": "Navnet ditt",
        "place_label": "Bosted",
        "place_hint": "Kommune eller sted. Står under navnet ditt.",
        "address_label": "Adresse",
        "address_hint": "Bare til utskrift: står øverst på brevet. Blir ikke sendt med e-posten.",
        "paragraph_label": "Ditt eget avsnitt",
        "questions_heading": "Spørsmål som kan hjelpe",
        "questions": [
            "Hvorfor er dette viktig for deg?",
            "Hvor bor du, og hva ser du der du bor?",
            "Har du møtt noen som er blitt utnyttet, eller jobber du med dette?",
        ],
        "examples_summary": "Se eksempler (ikke kopier dem)",
        "preview_heading": "Slik blir brevet",
        "send_heading": "Send brevet selv",
        "mailto": "Åpne i e-postprogrammet",
        "copy_letter": "Kopier brevet",
        "print": "Skriv ut",
        "send_note": "Brevet går fra ditt eget e-postprogram, fra din adresse, til representantene med kontrollert e-postadresse. "
                     "Ingenting sendes fra denne siden.",
        "draft_heading": "Brevutkast å kopiere",
        "draft_lead": "Kopier teksten, lim den inn i en e-post eller et dokument, og bytt ut det som står i hakeparentes.",
        "draft_label": "Brevutkastet",
        "subject": "Emne",
        "your_name": "[NAVNET DITT]",
        "your_place": "[BOSTED]",
        "paragraph_placeholder": "[SKRIV DITT EGET AVSNITT HER, MED DINE EGNE ORD. Hvorfor er dette viktig for deg? Hvor bor du, og hva "
                                 "ser du der du bor? Har du møtt noen som er blitt utnyttet, eller jobber du med dette?]",
        "privacy_short": "Det du skriver, blir i nettleseren din. Siden har ingen server, ingen informasjonskapsler og ingen analyse.",
        "privacy_more": "Les om personvern",
        "privacy_heading": "Personvern",
        "privacy_text": [
            "Denne siden samler ikke inn noe. Det du skriver, blir i nettleseren din: siden har ingen server som tar imot det, ingen "
            "informasjonskapsler (cookies), ingen analyseverktøy og ingen skrifter eller skript fra andre nettsteder. En sikkerhetsregel "
            "i hver side (Content-Security-Policy) hindrer nettleseren i å hente noe annet enn sidens egne filer.",
            "Når du trykker «Åpne i e-postprogrammet», åpner nettleseren ditt eget e-postprogram med brevet. Det er du som sender det, fra "
            "din egen adresse, og bare til representantene. {name} ser ikke brevet ditt, med mindre du sender en kopi selv.",
            "Nettstedet der siden ligger, kan som alle nettsteder føre en logg over besøk (for eksempel IP-adresse og tidspunkt). Spør "
            "{name} hvis du vil vite hvordan det gjøres der.",
        ],
        "lang_name": "bokmål",
        "og_locale": "nb_NO",
        "js": {
            "count": "{n} av {limit} tegn",
            "over": "For langt: {n} av {limit} tegn. Kort ned avsnittet.",
            "copied_warning": "Avsnittet ligner for mye på eksemplene eller kampanjens egne tekster ({percent} prosent). Skriv med dine "
                              "egne ord: det er det som gjør brevet til ditt.",
            "own_words": "Avsnittet er skrevet med dine egne ord.",
            "too_short": "Skriv noen setninger med dine egne ord.",
            "too_long_for_link": "Brevet er for langt til å legges i lenken. Trykk «Kopier brevet», åpne e-postprogrammet og lim inn "
                                 "brevet.",
            "copied": "Brevet er kopiert. Lim det inn i e-posten.",
            "copy_failed": "Kunne ikke kopiere automatisk. Merk teksten i brevutkastet og kopier den selv.",
            "no_addresses": "Ingen av representantene har kontrollert e-postadresse. Skriv ut brevet og send det i posten, eller send det "
                            "til Stortingets postmottak.",
            "missing": "Skriv navnet ditt og ditt eget avsnitt før du sender.",
            "no_match": "Fant ikke «{query}». Skriv navnet på fylket eller velg fra listen.",
            "several": "Navnet finnes i flere valgdistrikter. Velg ditt:",
            "months": MONTHS["nb"],
        },
    },
    "nn": {
        "site_name": "16 dagar mot vald mot kvinner {year}",
        "skip": "Gå til innhaldet",
        "other_language": "Les på bokmål",
        "other_language_code": "nb",
        "nav_label": "Hovudmeny",
        "nav_home": "Framside",
        "nav_find": "Finn representantane dine",
        "nav_privacy": "Personvern",
        "cta": "Skriv til stortingsrepresentantane dine",
        "demands_heading": "Dei fem krava våre",
        "our_ask": "Kravet vårt:",
        "read_case": "Les grunngjevinga",
        "sources": "Kjelder",
        "about": "Om {name}",
        "about_text": "Kampanjen er laga av {name}.",
        "address": "Adresse",
        "contact": "E-post",
        "website": "Nettstad",
        "find_heading": "Finn stortingsrepresentantane dine",
        "find_lead": "Stortinget har 169 representantar frå 19 valdistrikt. Vel distriktet du bur i, så ser du representantane derifrå og "
                     "kan skrive til dei.",
        "district_note": "Valdistrikta følgjer fylka slik dei var fram til 2017 (Hedmark og Oppland, ikkje Innlandet). Unntak: Lunner og "
                         "dei tidlegare kommunane Hurum og Røyken (no i Asker) høyrer til Akershus.",
        "no_table_note": "Sida har inga liste over kommunane. Skriv fylket kommunen din låg i fram til 2017, eller vel frå lista.",
        "search_label": "Valdistrikt eller kommune",
        "search_button": "Finn",
        "districts_heading": "Dei 19 valdistrikta",
        "reps_count": "{n} representantar",
        "reps_none": "ingen representantar lagde inn",
        "district_heading": "Stortingsrepresentantane frå {district}",
        "district_lead": "Her er representantane frå {district}, partiet deira og komiteane dei sit i. Under kan du skrive eit brev til "
                         "dei.",
        "party": "Parti",
        "committees": "Komitear",
        "no_committee": "Sit ikkje i ein fagkomité.",
        "owns": "Krav komiteane handsamar",
        "owns_none": "Ingen av dei fem krava.",
        "email": "E-post",
        "no_email": "Inga kontrollert e-postadresse: skriv via Stortinget (sjå nedanfor).",
        "no_reps": "Kampanjen har ikkje lagt inn representantane frå {district} enno. Du kan likevel skrive brevet og sende det via "
                   "Stortinget.",
        "route_heading": "Slik når du representantar utan kontrollert e-postadresse",
        "route_text": "Send brevet i posten med namnet til representanten på konvolutten, eller til postmottaket på Stortinget med namnet "
                      "til representanten i emnefeltet:",
        "route_postal": "Post",
        "route_email": "E-post til postmottaket på Stortinget",
        "route_who": "Gjeld",
        "to_representatives": "Stortingsrepresentantane frå {district}",
        "writer_heading": "Skriv brevet",
        "writer_lead": "Brevet er sett saman av teksten til kampanjen og ditt eige avsnitt. Det viktigaste er avsnittet: skriv med dine "
                       "eigne ord kvifor dette betyr noko for deg.",
        "name_label": "Namnet ditt",
        "place_label": "Bustad",
        "place_hint": "Kommune eller stad. Står under namnet ditt.",
        "address_label": "Adresse",
        "address_hint": "Berre til utskrift: står øvst på brevet. Blir ikkje send med e-posten.",
        "paragraph_label": "Ditt eige avsnitt",
        "questions_heading": "Spørsmål som kan hjelpe",
        "questions": [
            "Kvifor er dette viktig for deg?",
            "Kvar bur du, og kva ser du der du bur?",
            "Har du møtt nokon som har vorte utnytta, eller arbeider du med dette?",
        ],
        "examples_summary": "Sjå døme (ikkje kopier dei)",
        "preview_heading": "Slik blir brevet",
        "send_heading": "Send brevet sjølv",
        "mailto": "Opne i e-postprogrammet",
        "copy_letter": "Kopier brevet",
        "print": "Skriv ut",
        "send_note": "Brevet går frå ditt eige e-postprogram, frå adressa di, til representantane med kontrollert e-postadresse. Ingenting "
                     "blir sendt frå denne sida.",
        "draft_heading": "Brevutkast å kopiere",
        "draft_lead": "Kopier teksten, lim han inn i ein e-post eller eit dokument, og byt ut det som står i hakeparentes.",
        "draft_label": "Brevutkastet",
        "subject": "Emne",
        "your_name": "[NAMNET DITT]",
        "your_place": "[BUSTAD]",
        "paragraph_placeholder": "[SKRIV DITT EIGE AVSNITT HER, MED DINE EIGNE ORD. Kvifor er dette viktig for deg? Kvar bur du, og kva "
                                 "ser du der du bur? Har du møtt nokon som har vorte utnytta, eller arbeider du med dette?]",
        "privacy_short": "Det du skriv, blir verande i nettlesaren din. Sida har ingen tenar, ingen informasjonskapslar og ingen analyse.",
        "privacy_more": "Les om personvern",
        "privacy_heading": "Personvern",
        "privacy_text": [
            "Denne sida samlar ikkje inn noko. Det du skriv, blir verande i nettlesaren din: sida har ingen tenar som tek imot det, ingen "
            "informasjonskapslar (cookies), ingen analyseverktøy og ingen skrifter eller skript frå andre nettstader. Ein tryggleiksregel "
            "i kvar side (Content-Security-Policy) hindrar nettlesaren i å hente noko anna enn dei eigne filene til sida.",
            "Når du trykkjer «Opne i e-postprogrammet», opnar nettlesaren ditt eige e-postprogram med brevet. Det er du som sender det, "
            "frå di eiga adresse, og berre til representantane. {name} ser ikkje brevet ditt, med mindre du sender ein kopi sjølv.",
            "Nettstaden der sida ligg, kan som alle nettstader føre ein logg over besøk (til dømes IP-adresse og tidspunkt). Spør {name} "
            "om du vil vite korleis det blir gjort der.",
        ],
        "lang_name": "nynorsk",
        "og_locale": "nn_NO",
        "js": {
            "count": "{n} av {limit} teikn",
            "over": "For langt: {n} av {limit} teikn. Kort ned avsnittet.",
            "copied_warning": "Avsnittet liknar for mykje på døma eller dei eigne tekstane til kampanjen ({percent} prosent). Skriv med "
                              "dine eigne ord: det er det som gjer brevet til ditt.",
            "own_words": "Avsnittet er skrive med dine eigne ord.",
            "too_short": "Skriv nokre setningar med dine eigne ord.",
            "too_long_for_link": "Brevet er for langt til å leggjast i lenkja. Trykk «Kopier brevet», opne e-postprogrammet og lim inn "
                                 "brevet.",
            "copied": "Brevet er kopiert. Lim det inn i e-posten.",
            "copy_failed": "Kunne ikkje kopiere automatisk. Merk teksten i brevutkastet og kopier han sjølv.",
            "no_addresses": "Ingen av representantane har kontrollert e-postadresse. Skriv ut brevet og send det i posten, eller send det "
                            "til postmottaket på Stortinget.",
            "missing": "Skriv namnet ditt og ditt eige avsnitt før du sender.",
            "no_match": "Fann ikkje «{query}». Skriv namnet på fylket eller vel frå lista.",
            "several": "Namnet finst i fleire valdistrikt. Vel ditt:",
            "months": MONTHS["nn"],
        },
    },
}
