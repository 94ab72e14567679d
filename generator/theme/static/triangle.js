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

// ------------------------------------------------------------------ cards from the JSON index

const SIDES = ["relationship", "deadlines", "payment"];

/**
 * The directory's JSON index (directory.json, see generator/directory_index.py), with its
 * numbers resolved: each card gets its rank (its place in the file), skill and region slugs.
 */
function prepareIndex(data) {
  const cards = data.cards.map((card, rank) => ({
    ...card,
    rank,
    skills: new Set(card.s.map((n) => data.skills[n][0])),
    region: data.regions[card.r][0],
    levels: card.v.map((n) => data.levels[n]),
  }));
  return { data, cards, byId: new Map(cards.map((card) => [card.i, card])) };
}

/**
 * Draws a card from the index as the server draws it: a copy of the sample card the server
 * rendered in <template id="card-template">, and badges from <template id="badge-template">
 * (one per side and level). Every string goes in through textContent.
 */
function cardDrawer(index) {
  const template = document.getElementById("card-template");
  const badgeTemplate = document.getElementById("badge-template");
  if (!template || !badgeTemplate) return null;
  const model = template.content.querySelector(".member-card");
  const badges = Array.from(badgeTemplate.content.querySelectorAll("li"));
  const { data } = index;
  const base = template.dataset.base || "";
  const levels = data.levels.length;
  const text = (n) => (n >= 0 ? data.texts[n] : "");

  return (card) => {
    const element = model.cloneNode(true);
    const d = element.dataset;
    d.member = card.i;
    d.skills = Array.from(card.skills).join(" ");
    d.region = card.region;
    SIDES.forEach((side, k) => {
      d[side] = card.levels[k];
    });
    d.name = card.n;
    d.rank = String(card.rank);
    element.classList.toggle("is-left", Boolean(card.x));
    const name = element.querySelector(".card-name a");
    name.href = `${base}members/${card.i}/`;
    name.textContent = card.n;
    if (!card.x) element.querySelector(".tag-left")?.remove();
    element.querySelector(".card-headline").textContent = card.h;
    const where = element.querySelector(".card-where");
    const region = where.querySelector("a");
    region.href = `${base}regions/${card.region}/`;
    region.textContent = data.regions[card.r][1];
    where.replaceChildren(...(card.l ? [`${card.l}, `] : []), region);
    const items = SIDES.map((side, k) => {
      const item = badges[k * levels + card.v[k]].cloneNode(true);
      const facts = item.querySelector(".side-facts");
      if (facts) {
        const needs = facts.querySelector(".needs");
        facts.replaceChildren(text(card.f[k]));
        if (needs && card.w && card.w[k] >= 0) {
          needs.textContent = `(${text(card.w[k])})`;
          facts.append(" ", needs);
        }
      }
      return item;
    });
    element.querySelector(".badges").replaceChildren(...items);
    const skills = element.querySelector(".card-skills");
    if (!card.p.length) {
      skills.remove();
    } else {
      const label = skills.querySelector(".card-skills-label");
      const link = skills.querySelector("a");
      const more = skills.querySelector(".more");
      label.textContent = card.o ? template.dataset.proven : template.dataset.declared;
      skills.replaceChildren(label, " ");
      card.p.forEach((n, j) => {
        const a = link.cloneNode(false);
        a.href = `${base}skills/${data.skills[n][0]}/`;
        a.textContent = data.skills[n][1];
        if (j) skills.append(", ");
        skills.append(a);
      });
      if (card.m && more) {
        more.textContent = fill(template.dataset.more || "", { num: card.m });
        skills.append(" ", more);
      }
    }
    return element;
  };
}

// ------------------------------------------------------------------ filters

/**
 * The directory's filters and sort. The server paginates the directory; while the
 * filters are at rest the visitor sees the server's page. Any filter, or the name
 * sort, loads the JSON index of the whole directory once, and the matching cards are
 * drawn from it, a page at a time behind a "show more" button.
 */
function setUpFilters() {
  const form = document.getElementById("filters");
  const list = document.getElementById("members");
  const active = document.getElementById("active-filters");
  if (!form || !list || !active) return null;
  const serverView = Array.from(list.children); // the server's page of cards and its page links
  const view = document.createElement("div");
  view.className = "cards";
  const moreButton = document.createElement("button");
  moreButton.type = "button";
  moreButton.className = "button-secondary show-more";
  moreButton.textContent = list.dataset.more || "";
  const selects = Array.from(form.querySelectorAll("select"));
  const total = Number(list.dataset.total || "0");
  const step = 50;
  let loading = null;
  let draw = null;
  let found = [];
  let drawn = 0;
  let ticket = 0;

  function load() {
    if (!loading) {
      loading = fetch(new URL(list.dataset.index, document.baseURI))
        .then((response) => {
          if (!response.ok) throw new Error(`directory index: HTTP ${response.status}`);
          return response.json();
        })
        .then((data) => {
          const index = prepareIndex(data);
          draw = cardDrawer(index);
          return index;
        });
      loading.catch(() => {
        loading = null; // try again on the next change
      });
    }
    return loading;
  }

  // Start from the address bar, so a filtered view can be shared and bookmarked.
  const params = new URLSearchParams(window.location.search);
  for (const select of selects) {
    const wanted = params.get(select.name);
    if (wanted && Array.from(select.options).some((o) => o.value === wanted)) select.value = wanted;
  }

  function current() {
    return Object.fromEntries(selects.map((s) => [s.name, s.value]));
  }

  function atRest(values) {
    return !values.skill && !values.region && !values.level && values.sort !== "name";
  }

  function matches(card, values) {
    if (values.skill && !card.skills.has(values.skill)) return false;
    if (values.region && card.region !== values.region) return false;
    if (values.level && !card.levels.includes(values.level)) return false;
    return true;
  }

  const heading = document.getElementById("members-title");
  const numbers = new Intl.NumberFormat(lang);
  const toggle = document.getElementById("filters-toggle");
  const collator = new Intl.Collator(lang, { sensitivity: "base" });

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

  function drawMore() {
    const next = found.slice(drawn, drawn + step);
    view.append(...next.map(draw));
    drawn += next.length;
    moreButton.hidden = drawn >= found.length;
    return next.length;
  }

  moreButton.addEventListener("click", () => {
    const first = drawn;
    if (drawMore()) view.children[first]?.querySelector("a")?.focus();
  });

  function remember(values) {
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

  async function apply() {
    const values = current();
    const mine = ++ticket;
    if (atRest(values)) {
      list.replaceChildren(...serverView);
      list.removeAttribute("aria-busy");
      showActive(total);
      remember(values);
      return;
    }
    list.setAttribute("aria-busy", "true");
    let index;
    try {
      index = await load();
    } catch (error) {
      if (mine !== ticket) return;
      list.removeAttribute("aria-busy");
      active.replaceChildren();
      const status = document.createElement("p");
      status.textContent = active.dataset.error || "";
      active.append(status);
      return;
    }
    if (mine !== ticket) return; // a newer change is on its way
    found = index.cards.filter((card) => matches(card, values));
    if (values.sort === "name") found.sort((a, b) => collator.compare(a.n, b.n) || a.rank - b.rank);
    drawn = 0;
    view.replaceChildren();
    drawMore();
    list.replaceChildren(view, moreButton);
    list.removeAttribute("aria-busy");
    showActive(found.length);
    remember(values);
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
  // The search keeps to the members the filters show, and shows each result's badges.
  return {
    async kept() {
      const values = current();
      if (atRest(values)) return () => true;
      const index = await load().catch(() => null);
      return (memberId) => {
        const card = index && index.byId.get(memberId);
        return !card || matches(card, values);
      };
    },
    async card(memberId) {
      const shown = document.querySelector(`#members .member-card[data-member="${CSS.escape(memberId)}"]`);
      if (shown) return shown;
      const index = await load().catch(() => null);
      const card = index && index.byId.get(memberId);
      return card && draw ? draw(card) : null;
    },
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

function setUpSearch(finder) {
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
        // A large network's index comes in shards (pagefind/, pagefind-1/, ...): searched as one.
        const shards = Number(form.dataset.shards || "1");
        for (let shard = 1; shard < shards; shard += 1) {
          await module.mergeIndex(new URL(`pagefind-${shard}/`, base).href, { baseUrl: base.pathname });
        }
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
      const keep = finder ? await finder.kept() : () => true;
      if (ticket !== latest) return;
      const items = all.filter((item) => keep(memberOf(item.url))).slice(0, 20);
      const cards = await Promise.all(items.map((item) => (finder ? finder.card(memberOf(item.url)) : null)));
      if (ticket !== latest) return;
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
        const card = cards[items.indexOf(item)];
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
