// The study session: fetch the next card, reveal, rate, undo, bury, suspend — all from the keyboard
// (Anki's keys: Space shows then rates Good, 1–4 rate, u undoes, - buries, @ suspends).
(function () {
  "use strict";
  const root = document.querySelector("section.study");
  const {request, pageData, fill, setTextWithMath, renderMath, formatClockTime} = window.QuizApp;
  const T = pageData("study-strings");
  const $ = (selector) => root.querySelector(selector);

  let card = null;        // the card on screen
  let revealed = false;
  let shownAt = 0;        // when the card appeared, for the review's duration
  let busy = false;       // one request at a time: a held key must not rate twice
  // What u undoes, newest last, as in Anki: a rating (the server undoes the learner's last one) or a
  // bury or suspend of this session (undone by unburying or unsuspending that card). After a reload
  // the list is empty and u still undoes the last rating.
  const undoable = [];

  function uuid4() {
    if (window.crypto?.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // A custom study session (/study/custom/) names its mode in the page's address; the server checks it
  // there and gives it to the page, and every queue, review and undo call carries it.
  function withMode(url) {
    const mode = root.dataset.customQuery;
    return mode ? `${url}${url.includes("?") ? "&" : "?"}${mode}` : url;
  }

  function say(text) {
    $(".study-status").textContent = text || "";
  }

  function formatInterval(seconds) {
    const count = (key, n) => fill(T[key], {n});
    const round = (n) => (n < 10 ? Math.round(n * 10) / 10 : Math.round(n));
    if (seconds < 3600) return count("minutes", Math.max(1, Math.round(seconds / 60)));
    if (seconds < 86400) return count("hours", round(seconds / 3600));
    const days = seconds / 86400;
    if (days < 30) return count("days", Math.round(days));
    if (days < 365) return count("months", round(days / 30.4));
    return count("years", round(days / 365));
  }

  function showCounts(counts) {
    for (const kind of ["new", "learning", "review"]) {
      const node = root.querySelector(`.count-${kind}`);
      node.querySelector("b").textContent = counts[kind];
      const current = card && (card.state === kind || (kind === "learning" && card.state === "relearning"));
      node.classList.toggle("current", Boolean(current));
    }
  }

  function showCard(next) {
    card = next;
    revealed = false;
    const article = $(".study-card");
    article.hidden = !card;
    $(".done").hidden = Boolean(card);
    $(".show-answer").hidden = !card;
    $(".ratings").hidden = true;
    $(".bury").disabled = $(".suspend").disabled = !card;
    if (!card) return;
    $(".topic").textContent = card.topic;
    $(".state").textContent = T[card.state] + (card.is_leech ? ` · ${T.leech}` : "");
    // A (re)learning card was rated minutes ago, so its recall chance reads about 100% whatever the
    // rating: the number says something only for a card in review.
    $(".retrievability").textContent = card.retrievability === null || card.state !== "review" ? ""
      : ` · ${fill(T.retrievability, {n: `${Math.round(card.retrievability * 100)}%`})}`;
    setTextWithMath($(".prompt"), card.prompt);  // a learner's own question may hold $…$
    const points = $(".key-points");
    points.querySelector("ul").replaceChildren(...card.key_points.map((text) => {
      const item = document.createElement("li");
      setTextWithMath(item, text);
      return item;
    }));
    points.hidden = true;
    const answer = $(".answer");
    answer.innerHTML = card.answer_html;  // rendered server-side from the corpus Markdown
    answer.hidden = true;
    answer.classList.remove("folded");
    $(".unfold").hidden = true;
    const links = $(".demo-links");
    links.replaceChildren(...card.demo_ids.map((id) => {
      const link = document.createElement("a");
      link.href = `${root.dataset.demosUrl}${encodeURIComponent(id)}/`;
      link.textContent = id;
      link.className = "pill";
      return link;
    }));
    $(".demos").hidden = true;
    const edit = $(".edit-own");
    edit.hidden = !card.edit_url;  // the learner's own cards only
    edit.querySelector("a").href = card.edit_url || "";
    for (const button of root.querySelectorAll(".rate")) {
      button.querySelector(".interval").textContent = formatInterval(card.intervals[button.dataset.rating]);
    }
    shownAt = performance.now();
  }

  function showDone(queue) {
    const later = $(".next-learning");
    later.hidden = !queue.next_learning_due;
    if (queue.next_learning_due) {
      later.querySelector("time").textContent = formatClockTime(new Date(queue.next_learning_due), {seconds: false});
    }
  }

  function showQueue(queue) {
    showCard(queue.cards[0] || null);
    showCounts(queue.counts);
    if (!card) showDone(queue);
  }

  async function load() {
    const {ok, data} = await request(withMode(`${root.dataset.queueUrl}?limit=1`));
    if (!ok) return say(T.network);
    showQueue(data);
  }

  function reveal() {
    if (!card || revealed) return;
    revealed = true;
    $(".key-points").hidden = card.key_points.length === 0;
    const answer = $(".answer");
    answer.hidden = false;
    $(".demos").hidden = card.demo_ids.length === 0;
    $(".show-answer").hidden = true;
    $(".ratings").hidden = false;
    renderMath(answer);
    // The key points are what a grader looks for; the full answer behind them is folded to a
    // readable length, and opened in full on request.
    answer.classList.add("folded");
    const fits = answer.scrollHeight <= answer.clientHeight + 1;
    answer.classList.toggle("folded", !fits);
    $(".unfold").hidden = fits;
  }

  function unfold() {
    $(".answer").classList.remove("folded");
    $(".unfold").hidden = true;
  }

  // A review keeps its client id across a retry, so a lost response never records it twice.
  async function rate(rating) {
    if (!card || !revealed) return;
    const body = {question: card.question, rating, client_id: uuid4(), expected_reps: card.reps,
                  duration_ms: Math.round(performance.now() - shownAt)};
    let result;
    try {
      result = await request(withMode(root.dataset.reviewUrl), {method: "POST", body});
    } catch (error) {
      result = await request(withMode(root.dataset.reviewUrl), {method: "POST", body}).catch(() => null);
    }
    if (!result) return say(T.network);
    if (result.status === 409) say(T.stale);
    else if (!result.ok) return say(T.network);
    else {
      say(result.data.became_leech ? T.became_leech : "");
      undoable.push({kind: "rating"});
    }
    // A review answers with the queue after it: no second request for the next card.
    if (result.data?.next) showQueue(result.data.next);
    else await load();
  }

  // The last action leaves the list only once the server has answered for it: after a network error
  // or a 5xx, pressing u again retries that action instead of undoing the one before it.
  async function undo() {
    const last = undoable.at(-1) || {kind: "rating"};
    const url = last.kind === "rating" ? withMode(root.dataset.undoUrl) : `${root.dataset.cardsUrl}${last.cardId}/${last.kind}/`;
    const {ok, status} = await request(url, {method: "POST"});
    const final = ok || status === 404 || status === 409;  // done, or nothing left to undo there
    if (final) undoable.pop();
    if (ok) say({rating: T.undone, unbury: T.unburied, unsuspend: T.unsuspended}[last.kind]);
    else say(final ? T.nothing_to_undo : T.network);
    await load();
  }

  async function setAside(url, message, undoneBy) {
    if (!card) return;
    const {ok, data} = await request(url, {method: "POST", body: {question: card.question}});
    say(ok ? message : T.network);
    if (ok) undoable.push({kind: undoneBy, cardId: data.id});
    await load();
  }

  async function run(action) {
    if (busy) return;
    busy = true;
    root.setAttribute("aria-busy", "true");  // keys pressed meanwhile are ignored; screen readers wait
    try {
      await action();
    } catch (error) {
      say(T.network);
    } finally {
      busy = false;
      root.removeAttribute("aria-busy");
    }
  }

  const actions = {
    reveal: () => run(async () => reveal()),
    rate: (rating) => run(() => rate(rating)),
    undo: () => run(undo),
    bury: () => run(() => setAside(root.dataset.buryUrl, T.buried, "unbury")),
    suspend: () => run(() => setAside(root.dataset.suspendUrl, T.suspended, "unsuspend")),
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const key = event.key;
    if (key === " " || key === "Enter") {
      // A button reached with Tab takes Space and Enter itself, a link Enter, as everywhere on the web
      // (a clicked button does not keep the focus: see below).
      if (event.target.closest(key === " " ? "button, summary" : "button, a, summary")) return;
      event.preventDefault();
      if (revealed) actions.rate(3);
      else actions.reveal();
    } else if (["1", "2", "3", "4"].includes(key)) {
      actions.rate(Number(key));
    } else if (key === "u" || key === "U") {
      actions.undo();
    } else if (key === "-") {
      actions.bury();
    } else if (key === "@") {
      actions.suspend();
    } else if ((key === "e" || key === "E") && card?.edit_url) {
      window.location.assign(card.edit_url);
    } else {
      return;
    }
    event.preventDefault();
  });

  // A button clicked with the mouse gives the focus back, so that Space goes on revealing and rating
  // instead of pressing that button again (burying the next card, say).
  const onClick = (button, action) => button.addEventListener("click", (event) => {
    if (event.detail > 0) button.blur();
    action();
  });
  onClick($(".show-answer"), actions.reveal);
  onClick($(".show-all"), unfold);
  root.querySelectorAll(".rate").forEach((button) => onClick(button, () => actions.rate(Number(button.dataset.rating))));
  onClick($(".undo"), actions.undo);
  onClick($(".bury"), actions.bury);
  onClick($(".suspend"), actions.suspend);
  run(load);
})();
