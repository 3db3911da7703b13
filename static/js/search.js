// Search as you type (issue 20). A search box marked data-live-search lists the first cards that match
// below it while the learner types, and "/" opens the search from any page: the page's own box where it
// has one (the questions pages), else the search dialog (templates/questions/_search_dialog.html).
//
// The box is a WAI-ARIA combobox with a listbox popup: the focus stays in the box, ArrowDown/ArrowUp
// choose a result (aria-activedescendant), Enter opens it, or with none chosen submits the form (the full
// list, which works without scripts too), Escape closes the list and then clears the box. Typing pauses
// shorter than DELAY_MS send nothing; a newer query aborts the request in flight, and an answer that
// comes back after a newer query started is dropped, so the list always shows the latest query's results.
(function () {
  "use strict";
  const {request, pageData, fill} = window.QuizApp;
  const T = pageData("search-strings");
  const SHOWN = 8;  // results listed as one types; the form's page has them all
  const DELAY_MS = 150;
  const CACHED = 30;  // answers kept, so that deleting back to an earlier query asks nothing
  const chinese = document.documentElement.lang.toLowerCase().startsWith("zh");

  // ---- The query's terms, found as questions/selectors.py's search_terms finds them: Latin words less
  // the stop words, Chinese runs less their question words as overlapping character bigrams.
  const CJK_RUN = /[\u3400-\u9fff\uf900-\ufaff]+/g;
  const HAS_CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
  const WORD = /[a-z0-9][a-z0-9_+#.'-]*/g;
  const STOP_WORDS = new Set([
    "a", "an", "and", "are", "as", "at", "be", "between", "by", "can", "do", "does", "for", "from", "how", "in",
    "is", "it", "its", "of", "on", "or", "the", "to", "vs", "what", "when", "where", "which", "who", "why", "with"]);
  const CHINESE_FUNCTION_WORDS = /为什么|是什么|有什么|怎么样|什么|怎么|怎样|如何|哪些|哪个|为何|是否|是不是|请问|的|吗|呢/;

  const fold = (text) => text.normalize("NFKC").toLowerCase();

  function searchTerms(query) {
    const text = fold(query);
    const words = text.replace(CJK_RUN, " ").match(WORD) || [];
    const subject = words.filter((word) => !STOP_WORDS.has(word));
    const terms = subject.length ? subject : words;
    const runs = text.match(CJK_RUN) || [];
    const pieces = runs.flatMap((run) => run.split(CHINESE_FUNCTION_WORDS)).filter(Boolean);
    for (const piece of pieces.length ? pieces : runs) {
      if (piece.length === 1) terms.push(piece);
      for (let i = 0; i + 1 < piece.length; i++) terms.push(piece.slice(i, i + 2));
    }
    return [...new Set(terms)];
  }

  // Where the terms occur in a text, as [start, end) ranges of the text itself, overlapping and touching
  // ones merged (梯度 + 度消 + 消失 mark 梯度消失 once). The text is folded as the terms are, character by
  // character, so that "relu" marks the "ＲｅＬＵ" it found.
  function termRanges(text, terms) {
    let folded = "";
    const from = [];
    const to = [];  // where in `text` the character that gave folded[i] starts and ends
    let at = 0;
    for (const char of text) {
      const piece = fold(char);
      for (let i = 0; i < piece.length; i++) {
        from.push(at);
        to.push(at + char.length);
      }
      folded += piece;
      at += char.length;
    }
    const ranges = [];
    for (const term of terms) {
      for (let found = folded.indexOf(term); found !== -1; found = folded.indexOf(term, found + 1)) {
        ranges.push([from[found], to[found + term.length - 1]]);
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const [start, end] of ranges) {
      const last = merged[merged.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    return merged;
  }

  // The text as text nodes, with <mark> around the ranges: nothing in it is read as HTML.
  function marked(text, ranges) {
    const nodes = [];
    let last = 0;
    for (const [start, end] of ranges) {
      const mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      nodes.push(text.slice(last, start), mark);
      last = end;
    }
    nodes.push(text.slice(last));
    return nodes;
  }

  // The server's highlighted question (`highlights.question`: escaped text with <mark> around what matched)
  // is taken only when it holds no tag but <mark> and </mark>, and then rebuilt from its text: the
  // template element parses it inert, and only text and the marks' text are copied out.
  const ONLY_MARKS = /^(?:[^<>]|<mark>|<\/mark>)*$/;
  function serverMarked(html) {
    if (typeof html !== "string" || !html || !ONLY_MARKS.test(html)) return null;
    const parsed = document.createElement("template");
    parsed.innerHTML = html;
    const nodes = [];
    for (const child of parsed.content.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        nodes.push(child.textContent);
      } else if (child.nodeName === "MARK" && child.childElementCount === 0) {
        const mark = document.createElement("mark");
        mark.textContent = child.textContent;
        nodes.push(mark);
      } else {
        return null;  // a <mark> inside a <mark>: marked here instead
      }
    }
    return nodes;
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  // Topic titles by slug, in the page's language: the results name their topic by slug. Asked once, when
  // the first search is; without an answer the slug is shown.
  let topicTitles = {};
  let topicsAsked = null;
  function topics() {
    topicsAsked ??= request(T.topics_api).then((answer) => {
      if (!answer.ok || !Array.isArray(answer.data)) return;
      topicTitles = Object.fromEntries(answer.data.map(
        (topic) => [topic.slug, (chinese ? topic.title_zh : topic.title_en) || topic.slug]));
    }).catch(() => {});
    return topicsAsked;
  }

  // A query worth asking about: two characters, or one Chinese one (a single letter is in every card).
  const searchable = (query) => query.length >= 2 || HAS_CJK.test(query);

  let boxes = 0;

  function liveSearch(input, {dialog = null} = {}) {
    const form = input.form;
    const id = `live-search-${++boxes}`;
    const list = element("ul", {role: "listbox", id: `${id}-list`, "aria-label": T.listbox, class: "live-list"});
    const note = element("p", {class: "live-note muted"});
    const panel = element("div", {class: "live-results", hidden: ""}, list, note);
    const status = element("p", {role: "status", class: "visually-hidden"});
    form.classList.add("live-search");
    form.append(panel, status);
    for (const [name, value] of Object.entries({role: "combobox", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": list.id, autocomplete: "off"})) input.setAttribute(name, value);

    let timer = null;
    let controller = null;
    let latest = 0;  // the number of the latest query; an answer to an earlier one is dropped
    let shownFor = null;  // the query the panel holds results for
    let active = -1;
    const cache = new Map();

    const options = () => [...list.children];

    function choose(index) {
      options().forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
      } else {
        input.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({block: "nearest"});
      }
    }

    function open() {
      panel.hidden = false;
      input.setAttribute("aria-expanded", String(list.children.length > 0));
    }

    function close() {
      choose(-1);
      panel.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    // Nothing asked or shown any more: a pending query is not sent, one in flight is aborted.
    function cancel() {
      clearTimeout(timer);
      controller?.abort();
      latest += 1;
    }

    // The form's fields as the form would send them (the list page's filters narrow the results too).
    function params() {
      const fields = new URLSearchParams();
      for (const [name, value] of new FormData(form)) {
        if (typeof value === "string" && value.trim()) fields.append(name, name === "q" ? value.trim() : value);
      }
      return fields;
    }

    const fullList = (fields) => `${form.getAttribute("action") || window.location.pathname}?${fields}`;
    const cardUrl = (cardId) => T.card_url.replace("CARD", encodeURIComponent(cardId));

    function resultOption(question, index, terms) {
      const text = (chinese ? question.question_zh || question.question_en
        : question.question_en || question.question_zh) || "";
      const title = element("span", {class: "live-question"});
      title.append(...(serverMarked(question.highlights?.question) || marked(text, termRanges(text, terms))));
      const meta = element("span", {class: "live-meta"},
        element("span", {class: "pill"}, topicTitles[question.topic] || question.topic || ""),
        element("span", {class: `pill difficulty-${question.difficulty}`}, `${T.difficulty} ${question.difficulty}`));
      if (question.own) meta.append(element("span", {class: "pill"}, T.mine));
      return element("li", {role: "option", id: `${id}-${index}`, "aria-selected": "false",
                            "data-href": cardUrl(question.id)}, title, meta);
    }

    function show(query, fields, answer) {
      list.replaceChildren();
      shownFor = query;
      if (!answer.ok) {
        const refusal = answer.data?.q?.[0] || answer.data?.detail;
        note.textContent = answer.status === 400 && refusal ? refusal : T.failed;
      } else {
        // A page of results ({count, results}); a bare list is taken too.
        const data = Array.isArray(answer.data) ? {count: answer.data.length, results: answer.data}
          : {count: answer.data?.count || 0, results: answer.data?.results || []};
        const results = data.results.slice(0, SHOWN);
        const terms = searchTerms(query);
        results.forEach((question, index) => list.append(resultOption(question, index, terms)));
        if (data.count > results.length) {
          list.append(element("li", {role: "option", id: `${id}-all`, class: "live-all", "aria-selected": "false",
                                     "data-href": fullList(fields)}, fill(T.see_all, {n: data.count})));
        }
        note.textContent = data.count ? "" : T.no_results;
        status.textContent = data.count ? fill(data.count === 1 ? T.one : T.other, {n: data.count}) : T.no_results;
      }
      if (!answer.ok) status.textContent = note.textContent;
      note.hidden = !note.textContent;
      list.hidden = list.children.length === 0;
      choose(-1);
      if (document.activeElement === input) open();
    }

    async function search(query) {
      const fields = params();
      fields.set("q", query);
      const asked = new URLSearchParams(fields);
      asked.set("limit", String(SHOWN));
      const url = `${T.api}?${asked}`;
      controller?.abort();
      const mine = ++latest;
      controller = new AbortController();
      let answer = cache.get(url);
      if (!answer) {
        try {
          [answer] = await Promise.all([request(url, {signal: controller.signal}), topics()]);
        } catch (error) {
          if (mine !== latest || error.name === "AbortError") return;
          answer = {ok: false, status: 0, data: null};  // no answer at all: offline
        }
        if (answer.ok) {
          cache.set(url, answer);
          if (cache.size > CACHED) cache.delete(cache.keys().next().value);
        }
      }
      await topics();  // asked once, beside the first query
      if (mine !== latest) return;  // a newer query started while this one was asked: its answer shows
      show(query, fields, answer);
    }

    function go(option) {
      if (option?.dataset.href) window.location.assign(option.dataset.href);
    }

    input.addEventListener("input", () => {
      const query = input.value.trim();
      cancel();
      if (!searchable(query)) {
        shownFor = null;
        status.textContent = "";
        close();
        return;
      }
      timer = setTimeout(() => search(query), DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;  // an input method's keys
      const count = list.children.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const query = input.value.trim();
        if (shownFor !== query && searchable(query) && event.key === "ArrowDown") {
          cancel();  // a box filled before (the list page's query): its results now
          search(query);
          return;
        }
        if (shownFor === null || shownFor !== query || !count) return;
        event.preventDefault();
        const down = event.key === "ArrowDown";
        if (panel.hidden) open();
        choose(active < 0 ? (down ? 0 : count - 1) : (active + (down ? 1 : count - 1)) % count);
      } else if (event.key === "Enter") {
        if (!panel.hidden && active >= 0) {
          event.preventDefault();
          go(list.children[active]);
        }
      } else if (event.key === "Escape") {
        event.preventDefault();  // the browser's own Escape in a search box clears it: done here instead
        if (dialog) {
          dialog.close();
        } else if (!panel.hidden) {
          close();
        } else if (input.value) {
          input.value = "";
          input.dispatchEvent(new Event("input"));
        }
      }
    });

    // The mouse and touch: a press on the list keeps the focus in the box; a click opens the result.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => go(event.target.closest("[role=option]")));
    input.addEventListener("blur", close);
    input.addEventListener("focus", () => {
      if (shownFor !== null && shownFor === input.value.trim()) open();
    });
    form.addEventListener("submit", cancel);
    return {input};
  }

  document.querySelectorAll("main input[data-live-search]").forEach((input) => liveSearch(input));

  // The search dialog, for "/" and the header's Search button on every page.
  const dialog = document.getElementById("search-dialog");
  const dialogBox = dialog && liveSearch(dialog.querySelector("input[data-live-search]"), {dialog});
  let returnFocus = null;

  function openDialog() {
    if (!dialog || dialog.open) return;
    returnFocus = document.activeElement;
    dialog.showModal();
    dialogBox.input.focus();
    dialogBox.input.select();
  }

  if (dialog) {
    dialog.addEventListener("close", () => {
      if (returnFocus && returnFocus !== document.body && returnFocus.isConnected) returnFocus.focus();
      else document.activeElement?.blur();  // not left on a button of the closed dialog
      returnFocus = null;
    });
    // A click on the backdrop (the dialog itself, outside its body) closes it, as the Close button does.
    dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
    dialog.querySelector("[data-search-close]").addEventListener("click", () => dialog.close());
    document.querySelectorAll("[data-search-open]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", openDialog);
    });
  }

  // "/" from anywhere but a field being typed in, and not on a page that keeps its keys (an interview's
  // answer: a slash typed there after a click beside the box must not take the answer's focus away).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.defaultPrevented || document.querySelector("dialog[open], [data-no-search-shortcut]")) return;
    const target = event.target;
    if (target.isContentEditable || target.closest?.("input, textarea, select")) return;
    event.preventDefault();
    const own = document.querySelector("main input[data-live-search]");
    if (own && own.offsetParent !== null) {
      own.focus();
      own.select();
    } else {
      openDialog();
    }
  });
})();
