/* The campaign site's script (toolkit site). Everything happens in the page: nothing is sent
   anywhere, nothing is stored. Without this script the pages still work (district list, letter draft). */
(function () {
  "use strict";

  /* The fingerprint measure of `toolkit check` (toolkit/similarity.py), step for step: lower case,
     letters and digits only, UTF-8 bytes, the CRC32 of every 32-byte window, a hash kept when its
     four low bits are zero and the window then moved 32 bytes on; Dice coefficient of two sets. */
  var WINDOW = 32;
  var KEEP_MASK = 0xF;
  var NOT_WORD = /[^\p{L}\p{N}]+/gu;
  var CRC_TABLE = (function () {
    var table = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes, start, end) {
    var c = 0xFFFFFFFF;
    for (var i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
    return (c ^ 0xFFFFFFFF) >>> 0;
  }

  function normalise(text) {
    return text.toLowerCase().replace(NOT_WORD, "");
  }

  function fingerprint(text) {
    var bytes = new TextEncoder().encode(normalise(text));
    var hashes = new Set();
    var position = 0;
    var last = bytes.length - WINDOW;
    while (position <= last) {
      var value = crc32(bytes, position, position + WINDOW);
      if ((value & KEEP_MASK) === 0) {
        hashes.add(value);
        position += WINDOW;
      } else {
        position += 1;
      }
    }
    return hashes;
  }

  function shared(a, b) {
    var count = 0;
    a.forEach(function (value) { if (b.has(value)) count++; });
    return count;
  }

  function dice(a, b) {
    if (!a.size || !b.size) return 0;
    return 2 * shared(a, b) / (a.size + b.size);
  }

  /* As copy_score in toolkit/site.py: the best Dice against one reference text, or the share of the
     paragraph's fingerprints found in any of them, whichever is higher. */
  function copyScore(text, references) {
    var hashes = fingerprint(text);
    if (!hashes.size) return 0;
    var best = 0;
    var union = new Set();
    references.forEach(function (reference) {
      best = Math.max(best, dice(hashes, reference));
      reference.forEach(function (value) { union.add(value); });
    });
    return Math.max(best, shared(hashes, union) / hashes.size);
  }

  window.toolkitSimilarity = { fingerprint: function (text) { return Array.from(fingerprint(text)).sort(function (a, b) { return a - b; }); },
                               dice: function (a, b) { return dice(new Set(a), new Set(b)); },
                               copyScore: function (text, references) { return copyScore(text, references.map(function (r) { return new Set(r); })); } };

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? String(values[key]) : all; });
  }

  /* ---- Finding the district ---- */
  function foldName(text) {
    return text.trim().replace(/\s+/g, " ").toLocaleLowerCase("nb");
  }

  function setUpSearch(data) {
    var form = document.getElementById("sok");
    var field = document.getElementById("sok-felt");
    var answer = document.getElementById("sok-svar");
    var choices = document.getElementById("sok-valg");
    var names = {};  /* folded name -> district slugs */
    var districtOf = {};  /* slug -> district name */
    function add(name, slugs) {
      var key = foldName(name);
      names[key] = names[key] || [];
      slugs.forEach(function (slug) { if (names[key].indexOf(slug) < 0) names[key].push(slug); });
    }
    Object.keys(data.districts).forEach(function (name) { districtOf[data.districts[name]] = name; add(name, [data.districts[name]]); });
    Object.keys(data.municipalities).forEach(function (name) { add(name, data.municipalities[name]); });
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = foldName(field.value);
      answer.textContent = "";
      answer.className = "message";
      choices.textContent = "";
      if (!query) return;
      var slugs = names[query];
      if (!slugs) {
        var found = {};
        Object.keys(names).forEach(function (name) {
          if (name.indexOf(query) === 0) names[name].forEach(function (slug) { found[slug] = true; });
        });
        slugs = Object.keys(found);
      }
      if (slugs.length === 1) {
        window.location.href = "distrikt/" + slugs[0] + ".html";
        return;
      }
      answer.className = "message bad";
      answer.textContent = slugs.length ? data.texts.several : format(data.texts.no_match, { query: field.value.trim() });
      slugs.sort().forEach(function (slug) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "distrikt/" + slug + ".html";
        link.textContent = districtOf[slug];
        item.appendChild(link);
        choices.appendChild(item);
      });
    });
  }

  /* ---- Writing the letter ---- */
  function norwegianDate(day, months) {
    return day.getDate() + ". " + months[day.getMonth()] + " " + day.getFullYear();
  }

  function setUpWriter(data) {
    var references = (window.toolkitReferences ? window.toolkitReferences.fingerprints : []).map(function (list) { return new Set(list); });
    var texts = data.texts;
    var form = document.getElementById("brevskjema");
    var name = document.getElementById("navn");
    var place = document.getElementById("sted");
    var address = document.getElementById("adresse");
    var paragraph = document.getElementById("avsnitt");
    var counter = document.getElementById("teller");
    var warning = document.getElementById("varsel");
    var preview = document.getElementById("forhandsvisning");
    var mailLink = document.getElementById("epost");
    var sendMessage = document.getElementById("sendevarsel");
    var printed = document.getElementById("utskrift");
    var state = "";
    var current = { subject: "", body: "", url: "", fits: true };

    document.getElementById("skriv").hidden = false;
    document.getElementById("utkast").hidden = true;
    document.body.classList.add("print-ready");
    form.addEventListener("submit", function (event) { event.preventDefault(); });

    function ownParagraphs() {
      return paragraph.value.split(/\n\s*\n/).map(function (block) { return block.trim().replace(/\s+/g, " "); })
        .filter(function (block) { return block; });
    }

    function letter() {
      var who = name.value.trim().replace(/\s+/g, " ");
      var where = place.value.trim().replace(/\s+/g, " ");
      var own = ownParagraphs();
      var shown = { name: who || data.placeholders.name, place: where, paragraph: own.length ? own : [data.placeholders.paragraph] };
      var chosen = data.variants[variantFor(who)];
      var out = [];
      chosen.paragraphs.forEach(function (p) {
        if (p.text === data.tokens.paragraph) {
          shown.paragraph.forEach(function (text) { out.push({ style: "Body", text: text }); });
          return;
        }
        var text = p.text.split(data.tokens.name).join(shown.name);
        text = text.split("\n" + data.tokens.place).join(shown.place ? "\n" + shown.place : "");
        text = text.split(data.tokens.place).join(shown.place);
        out.push({ style: p.style, text: text });
      });
      return { subject: chosen.subject.split(data.tokens.name).join(shown.name), paragraphs: out };
    }

    function variantFor(who) {
      /* The same name always gets the same wording; different names spread over the wordings. */
      var bytes = new TextEncoder().encode(who.toLowerCase());
      return crc32(bytes, 0, bytes.length) % data.variants.length;
    }

    function plainText(paragraphs) {
      /* As markup.to_plain_text: blank lines between paragraphs, "- " before bullet points. */
      var out = "";
      var previousBullet = false;
      paragraphs.forEach(function (p, index) {
        var bullet = p.style === "ListBullet";
        if (index) out += bullet && previousBullet ? "\n" : "\n\n";
        out += (bullet ? "- " : "") + p.text;
        previousBullet = bullet;
      });
      return out + "\n";
    }

    function renderInto(container, paragraphs) {
      container.textContent = "";
      var list = null;
      paragraphs.forEach(function (p) {
        if (p.style === "ListBullet") {
          if (!list) { list = document.createElement("ul"); container.appendChild(list); }
          var item = document.createElement("li");
          item.textContent = p.text;
          list.appendChild(item);
          return;
        }
        list = null;
        var element = document.createElement("p");
        element.textContent = p.text;
        element.className = p.style.toLowerCase();
        container.appendChild(element);
      });
    }

    function mailto(subject, body) {
      var to = data.addresses.map(function (a) { return encodeURIComponent(a).replace(/%40/g, "@"); }).join(",");
      var head = "mailto:" + to + "?subject=" + encodeURIComponent(subject);
      var full = head + "&body=" + encodeURIComponent(body.replace(/\r?\n/g, "\r\n"));
      return full.length <= data.mailtoLimit ? { url: full, fits: true } : { url: head, fits: false };
    }

    function announce(next, text, kind) {
      if (next === state) return;
      state = next;
      warning.className = "message" + (kind ? " " + kind : "");
      warning.textContent = text;
    }

    function update() {
      var own = ownParagraphs().join(" ");
      var length = Array.from(own).length;
      var over = length > data.limit;
      counter.textContent = format(over ? texts.over : texts.count, { n: length, limit: data.limit });
      counter.className = "count" + (over ? " over" : "");
      if (!own) announce("empty", "", "");
      else if (over) announce("over", format(texts.over, { n: length, limit: data.limit }), "bad");
      else {
        var score = copyScore(own, references);
        if (score > data.threshold) announce("copied", format(texts.copied_warning, { percent: Math.round(score * 100) }), "bad");
        else if (Array.from(normalise(own)).length < 2 * WINDOW) announce("short", texts.too_short, "");
        else announce("own", texts.own_words, "good");
      }
      var built = letter();
      current.subject = built.subject;
      current.body = plainText(built.paragraphs);
      renderInto(preview, built.paragraphs);
      var link = mailto(current.subject, current.body);
      current.url = link.url;
      current.fits = link.fits;
      mailLink.href = link.url;
      if (!data.addresses.length) {
        mailLink.hidden = true;
        sendMessage.textContent = texts.no_addresses;
      } else {
        sendMessage.textContent = link.fits ? "" : texts.too_long_for_link;
      }
      buildPrint(built);
    }

    function buildPrint(built) {
      printed.textContent = "";
      var sender = document.createElement("p");
      sender.className = "sender";
      sender.textContent = [name.value.trim() || data.placeholders.name, address.value.trim(), place.value.trim()]
        .filter(function (line) { return line; }).join("\n");
      printed.appendChild(sender);
      var to = document.createElement("p");
      to.className = "to";
      to.textContent = data.recipientLines.join("\n");
      printed.appendChild(to);
      var day = document.createElement("p");
      day.className = "date";
      day.textContent = norwegianDate(new Date(), texts.months);
      printed.appendChild(day);
      var heading = document.createElement("p");
      heading.className = "subject";
      heading.textContent = built.subject;
      printed.appendChild(heading);
      var body = document.createElement("div");
      renderInto(body, built.paragraphs);
      printed.appendChild(body);
    }

    mailLink.addEventListener("click", function (event) {
      if (!name.value.trim() || !ownParagraphs().length) {
        event.preventDefault();
        sendMessage.textContent = texts.missing;
        return;
      }
      if (!current.fits) copyLetter();
    });

    function copyLetter() {
      var text = current.body;
      function fallback() {
        var area = document.getElementById("utkast-tekst");
        area.value = text;
        document.getElementById("utkast").hidden = false;
        area.select();
        var done = false;
        try { done = document.execCommand("copy"); } catch (error) { done = false; }
        sendMessage.textContent = done ? texts.copied : texts.copy_failed;
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { sendMessage.textContent = texts.copied; }, fallback);
      } else {
        fallback();
      }
    }

    document.getElementById("kopier").addEventListener("click", copyLetter);
    document.getElementById("skriv-ut").addEventListener("click", function () { update(); window.print(); });
    [name, place, address, paragraph].forEach(function (field) { field.addEventListener("input", update); });
    update();
  }

  var search = readJson("sokedata");
  if (search) setUpSearch(search);
  var letterData = readJson("brevdata");
  if (letterData) setUpWriter(letterData);
})();
