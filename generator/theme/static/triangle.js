// Triangle — progressive enhancement for the directory. Every page works without it:
// the filters and search only appear once this script runs. No framework, no inline
// code (the pages carry a strict Content-Security-Policy), no third-party requests.

const root = document.body.dataset.root || "./";
const lang = document.documentElement.lang || "en";
const plural = new Intl.PluralRules(lang);

/** Fill a "{name}" template from the page's translated strings. */
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
}

/** The one/other form of a translated string kept in data attributes. */
function counted(element, count, values) {
  const form = plural.select(count) === "one" ? "one" : "other";
  return fill(element.dataset[form] || element.dataset.other || "", { ...values, n: count });
}

// ------------------------------------------------------------------ filters

function setUpFilters() {
  const form = document.getElementById("filters");
  const list = document.getElementById("members");
  const active = document.getElementById("active-filters");
  if (!form || !list || !active) return null;
  const grid = list.querySelector(".cards") || list;
  const cards = Array.from(grid.querySelectorAll(".member-card"));
  const order = new Map(cards.map((card, i) => [card, i]));
  const selects = Array.from(form.querySelectorAll("select"));
  const total = cards.length;

  // Start from the address bar, so a filtered view can be shared and bookmarked.
  const params = new URLSearchParams(window.location.search);
  for (const select of selects) {
    const wanted = params.get(select.name);
    if (wanted && Array.from(select.options).some((o) => o.value === wanted)) select.value = wanted;
  }

  function matches(card, skill, region, level) {
    const d = card.dataset;
    if (skill && !d.skills.split(" ").includes(skill)) return false;
    if (region && d.region !== region) return false;
    if (level && d.relationship !== level && d.deadlines !== level && d.payment !== level) return false;
    return true;
  }

  function sortCards(how) {
    const sorted = cards.slice();
    if (how === "name") {
      const collator = new Intl.Collator(lang, { sensitivity: "base" });
      sorted.sort((a, b) => collator.compare(a.dataset.name, b.dataset.name) || order.get(a) - order.get(b));
    } else {
      // "Most reliable first": the server's order (levels, then facts), kept in data-rank.
      sorted.sort((a, b) => Number(a.dataset.rank) - Number(b.dataset.rank) || order.get(a) - order.get(b));
    }
    const fragment = document.createDocumentFragment();
    for (const card of sorted) fragment.append(card);
    grid.append(fragment);
  }

  const heading = document.getElementById("members-title");
  const numbers = new Intl.NumberFormat(lang);
  const toggle = document.getElementById("filters-toggle");

  function showActive(shown) {
    // The heading counts the members the visitor sees, not the whole directory.
    if (heading) heading.textContent = counted(heading, shown, { n: numbers.format(shown) });
    if (toggle) {
      const n = selects.filter((s) => s.name !== "sort" && s.value).length;
      const label = toggle.dataset.label;
      toggle.textContent = n ? fill(toggle.dataset.count, { label, n }) : label;
    }
    active.replaceChildren();
    const status = document.createElement("p");
    status.textContent = shown === 0 ? active.dataset.none : counted(active, shown, { shown, total });
    active.append(status);
    for (const select of selects) {
      if (select.name === "sort" || !select.value) continue;
      const value = select.options[select.selectedIndex].text.replace(/\s*\([^()]*\)$/, "");
      const text = fill(active.dataset.chip, { label: select.dataset.label || select.name, value });
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.setAttribute("aria-label", fill(active.dataset.remove, { filter: text }));
      button.addEventListener("click", () => {
        select.value = "";
        apply();
        select.focus();
      });
      active.append(button);
    }
  }

  function apply() {
    const values = Object.fromEntries(selects.map((s) => [s.name, s.value]));
    let shown = 0;
    for (const card of cards) {
      const visible = matches(card, values.skill, values.region, values.level);
      card.hidden = !visible;
      if (visible) shown += 1;
    }
    sortCards(values.sort);
    showActive(shown);
    const query = new URLSearchParams(window.location.search);
    for (const select of selects) {
      const isDefault = select.value === "" || (select.name === "sort" && select.value === "rank");
      if (isDefault) query.delete(select.name);
      else query.set(select.name, select.value);
    }
    const search = query.toString();
    window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
    document.dispatchEvent(new CustomEvent("triangle:filters", { detail: values }));
  }

  form.addEventListener("change", apply);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("reset", () => window.setTimeout(apply));
  form.hidden = false;
  setUpToggle(toggle, [form, document.getElementById("browse")]);
  apply();
  // The search keeps to the members the filters show.
  return (memberId) => {
    const card = grid.querySelector(`.member-card[data-member="${CSS.escape(memberId)}"]`);
    const values = Object.fromEntries(selects.map((s) => [s.name, s.value]));
    return !card || matches(card, values.skill, values.region, values.level);
  };
}

/** On a phone, fold the filters and browse links behind one button, so the first member shows at once. */
function setUpToggle(toggle, parts) {
  if (!toggle) return;
  const folded = parts.filter(Boolean);
  const narrow = window.matchMedia("(max-width: 40rem)");
  function show(open) {
    toggle.setAttribute("aria-expanded", String(open));
    for (const part of folded) part.classList.toggle("is-folded", !open);
  }
  function layout() {
    toggle.hidden = !narrow.matches;
    show(!narrow.matches);
  }
  toggle.addEventListener("click", () => show(toggle.getAttribute("aria-expanded") !== "true"));
  narrow.addEventListener("change", layout);
  layout();
}

// ------------------------------------------------------------------ search (Pagefind)

function safeExcerpt(html) {
  // Pagefind's excerpt marks matches with <mark>; keep only text and those marks.
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  const out = document.createElement("p");
  for (const node of parsed.body.firstChild.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      out.append(mark);
    } else {
      out.append(document.createTextNode(node.textContent));
    }
  }
  return out;
}

/** Pagefind may cut an excerpt inside a word: start it at the next word, after an ellipsis. */
function fromWordStart(excerpt, content) {
  const plain = excerpt.textContent;
  const at = content ? content.indexOf(plain.slice(0, 40)) : -1;
  const midWord = at > 0 ? /[\p{L}\p{N}]/u.test(content[at - 1]) : at !== 0;
  const first = excerpt.firstChild;
  if (!midWord || !first || first.nodeType !== Node.TEXT_NODE) return excerpt;
  const space = first.textContent.search(/\s/);
  if (space < 0) return excerpt;
  first.textContent = "…" + first.textContent.slice(space + 1);
  return excerpt;
}

function setUpSearch(kept) {
  const form = document.getElementById("search-form");
  const input = document.getElementById("search");
  const results = document.getElementById("search-results");
  const listing = document.getElementById("listing");
  if (!form || !input || !results) return;
  const status = results.querySelector(".search-status");
  const list = results.querySelector(".result-list");
  const base = new URL(root, document.baseURI);
  let pagefind = null;
  let latest = 0;
  let timer = 0;

  async function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", base).href).then(async (module) => {
        await module.options({ baseUrl: base.pathname });
        module.init();
        return module;
      });
    }
    return pagefind;
  }

  function memberOf(url) {
    const found = /members\/([a-z0-9-]+)\//.exec(url);
    return found ? found[1] : "";
  }

  async function run() {
    const query = input.value.trim();
    const ticket = ++latest;
    if (!query) {
      results.hidden = true;
      if (listing) listing.hidden = false;
      return;
    }
    try {
      const module = await load();
      const found = await module.search(query);
      if (ticket !== latest) return; // a newer query is on its way
      // Pagefind's filter indexes are not byte-stable between builds, so the pages carry
      // no Pagefind filters: the directory's own filters are applied to the results here.
      const all = await Promise.all(found.results.slice(0, 60).map((r) => r.data()));
      if (ticket !== latest) return;
      const items = all.filter((item) => !kept || kept(memberOf(item.url))).slice(0, 20);
      list.replaceChildren();
      for (const item of items) {
        const li = document.createElement("li");
        const title = document.createElement("p");
        title.className = "result-name";
        const link = document.createElement("a");
        link.href = item.url;
        link.textContent = (item.meta && item.meta.title) || item.url;
        title.append(link);
        li.append(title);
        // Each result shows what its card shows: the "left" tag and the three badges with their facts.
        const card = document.querySelector(`.member-card[data-member="${CSS.escape(memberOf(item.url))}"]`);
        if (card) {
          for (const part of card.querySelectorAll(".tag-left, .badges")) li.append(part.cloneNode(true));
        }
        li.append(fromWordStart(safeExcerpt(item.excerpt || ""), item.content || ""));
        list.append(li);
      }
      const count = items.length;
      status.textContent = count === 0 ? fill(results.dataset.none, { q: query }) : counted(results, count, { q: query });
    } catch (error) {
      if (ticket !== latest) return;
      list.replaceChildren();
      status.textContent = results.dataset.error;
    }
    results.hidden = false;
    if (listing) listing.hidden = true;
  }

  input.addEventListener("focus", () => load().catch(() => {}), { once: true });
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, 180);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  document.addEventListener("triangle:filters", () => {
    if (input.value.trim()) run();
  });
  form.hidden = false;
}

// ------------------------------------------------------------------ evidence links

// "How this level was computed" links to a folded <details>: unfold it when it is the target.
function openTarget() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (target && target.tagName === "DETAILS") target.open = true;
}
window.addEventListener("hashchange", openTarget);
openTarget();

// ------------------------------------------------------------------ print

// Printed member pages show every evidence table, then fold them back.
window.addEventListener("beforeprint", () => {
  for (const details of document.querySelectorAll("details:not([open])")) {
    details.dataset.printed = "1";
    details.open = true;
  }
});
window.addEventListener("afterprint", () => {
  for (const details of document.querySelectorAll("details[data-printed]")) {
    details.open = false;
    delete details.dataset.printed;
  }
});

setUpSearch(setUpFilters());
