// The study session: reveal, rate, undo, bury, suspend — all from the keyboard (Anki's keys: Space
// shows then rates Good, 1–4 rate, u undoes, - buries, @ suspends).
//
// Nobody waits for the server. The page holds the next few cards of today's queue; a rating shows
// the next card at once and goes to the server in the background. Until the server has acknowledged
// it, a rating is kept in the browser's storage (one entry per rating, under its client id): a lost
// connection is retried, a reload or a closed tab sends it on the next visit, and the client id makes
// a rating sent twice count once. Ratings are sent one at a time, in the order they were made, each
// dated by how long ago it was made (age_ms), so a late one schedules as if sent at once. The last
// one asks for the queue after it: counters and the cards held come from the server again, exact.
(function () {
  "use strict";
  const root = document.querySelector("section.study");
  const {request, pageData, fill, setTextWithMath, renderMath, formatClockTime} = window.QuizApp;
  const T = pageData("study-strings");
  const $ = (selector) => root.querySelector(selector);

  const HELD = 8;                  // cards the page holds: the one on screen and the next ones
  const RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  const GIVE_UP_MS = 15000;        // a request not answered by then is tried again
  const STORE = `quizapp.ratings.${root.dataset.learner}.`;

  let card = null;        // the card on screen
  let ahead = [];         // the next cards, in queue order
  let counts = null;      // cards left today, the card on screen included
  let dayEndsAt = null;   // a card due before then is today's
  let revealed = false;
  let shownAt = 0;        // when the card appeared, for the review's duration
  let busy = false;       // one server action (undo, bury...) at a time: a held key must not repeat it
  let sending = null;     // the promise of the sender while it runs
  let inFlight = null;    // the rating on its way to the server: {clientId, settled (a promise)}
  // What u undoes, newest last, as in Anki: a rating (the server undoes the learner's last one, or a
  // rating not sent yet is simply dropped) or a bury or suspend of this session (undone by unburying
  // or unsuspending that card). After a reload the list is empty and u still undoes the last rating.
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
  // on every call. A rating keeps the mode it was made in, so it is sent to the same session later.
  const pageMode = root.dataset.customQuery || "";
  const noReschedule = "noReschedule" in root.dataset;
  const withMode = (url, mode = pageMode) => (mode ? `${url}${url.includes("?") ? "&" : "?"}${mode}` : url);

  function say(text) {
    $(".study-status").textContent = text || "";
  }

  // ---- The ratings not acknowledged yet, in the browser's storage (memory where storage is refused).

  const memory = new Map();
  const outbox = {
    put(entry) {
      try {
        localStorage.setItem(STORE + entry.body.client_id, JSON.stringify(entry));
      } catch (error) {
        memory.set(entry.body.client_id, entry);
      }
    },
    drop(clientId) {
      memory.delete(clientId);
      try { localStorage.removeItem(STORE + clientId); } catch (error) { /* memory only */ }
    },
    all() {
      const entries = [...memory.values()];
      try {
        for (let i = 0; i < localStorage.length; i += 1) {
          const key = localStorage.key(i);
          if (key?.startsWith(STORE)) entries.push(JSON.parse(localStorage.getItem(key)));
        }
      } catch (error) { /* memory only */ }
      return entries.sort((a, b) => a.seq - b.seq);
    },
  };
  let lastSeq = 0;
  const nextSeq = () => (lastSeq = Math.max(lastSeq + 1, Date.now() * 1000));

  // ---- Showing

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

  const kindOf = (state) => (state === "relearning" ? "learning" : state);

  function showCounts() {
    for (const kind of ["new", "learning", "review"]) {
      const node = root.querySelector(`.count-${kind}`);
      node.querySelector("b").textContent = counts ? counts[kind] : "–";
      node.classList.toggle("current", Boolean(card && kindOf(card.state) === kind));
    }
  }

  function showCard(next) {
    card = next;
    revealed = false;
    const article = $(".study-card");
    article.hidden = !card;
    $(".show-answer").hidden = !card;
    $(".ratings").hidden = true;
    $(".bury").disabled = $(".suspend").disabled = !card;
    if (!card) return;
    $(".done").hidden = true;
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
    // Each demo with what its default run concluded; it opens in a new tab, so this card stays as it is.
    $(".demo-list").replaceChildren(...card.demos.map((demo) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = demo.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = `${demo.id} · ${demo.title}`;
      item.append(link);
      if (demo.conclusion) {
        const conclusion = document.createElement("p");
        conclusion.className = "demo-conclusion";
        setTextWithMath(conclusion, demo.conclusion);
        const computed = document.createElement("p");
        computed.className = "muted small demo-computed";
        computed.textContent = demo.computed;  // when, where and how long: a stored result, not a live run
        item.append(conclusion, computed);
      }
      if (demo.chart) {
        const box = document.createElement("div");
        box.className = "chart-box demo-chart";
        item.append(box);
      }
      return item;
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

  // Nothing on screen: the day is done, or the next card is still on its way from the server.
  function showNothing(nextLearningDue) {
    showCard(null);
    const waiting = outbox.all().length > 0;
    $(".done").hidden = waiting;
    if (waiting) return say(T.saving);
    const later = $(".next-learning");
    later.hidden = !nextLearningDue;
    if (nextLearningDue) {
      later.querySelector("time").textContent = formatClockTime(new Date(nextLearningDue), {seconds: false});
    }
  }

  // The queue as the server sees it, every rating included: it replaces what the page holds. With
  // `keepShown` (an answer arriving in the background) the card on screen stays, since the learner may
  // be reading it, unless the server has moved it on meanwhile; otherwise the queue's first card shows.
  function takeQueue(queue, {keepShown = false} = {}) {
    counts = queue.counts;
    dayEndsAt = Date.parse(queue.day_ends_at);
    const same = (a, b) => a.question === b.question && a.reps === b.reps;
    if (keepShown && card && queue.cards.some((other) => same(other, card))) {
      ahead = queue.cards.filter((other) => !same(other, card));
    } else {
      ahead = queue.cards.slice(1);
      showCard(queue.cards[0] || null);
    }
    if (!card) showNothing(queue.next_learning_due);
    showCounts();
  }

  // More cards to hold, from a queue read before the ratings still waiting: those cards are left out
  // (they were rated here already), and so is the one on screen. The counters wait for the newest answer.
  function topUp(cards, waiting) {
    const taken = new Set([card?.question, ...ahead.map((other) => other.question),
                           ...waiting.map((entry) => entry.body.question)]);
    ahead.push(...cards.filter((other) => !taken.has(other.question)));
    if (!card && ahead.length) {
      showCard(ahead.shift());
      showCounts();
      say("");
    }
  }

  async function load() {
    const {ok, data} = await request(withMode(`${root.dataset.queueUrl}?limit=${HELD}`));
    if (!ok) return say(T.network);
    takeQueue(data);
  }

  function reveal() {
    if (!card || revealed) return;
    revealed = true;
    $(".key-points").hidden = card.key_points.length === 0;
    const answer = $(".answer");
    answer.hidden = false;
    $(".demos").hidden = card.demos.length === 0;
    // Charts are drawn once visible: Chart.js sizes a canvas by its box.
    card.demos.filter((demo) => demo.chart).forEach((demo, index) => {
      const box = root.querySelectorAll(".demo-chart")[index];
      if (box && !box.firstChild) window.QuizApp.drawDemoChart?.(box, demo.chart);
    });
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

  // ---- Rating: the next card at once, the rating to the server behind it.

  // The counters after this rating, as the server will count them: the card leaves its kind, and
  // comes back as a learning card if the rating's interval ends before the study day does.
  // In a custom session that does not reschedule, Again and Hard keep the card in the session and
  // Good and Easy finish it.
  function countsAfter(rated, rating) {
    const after = {...counts};
    const kind = kindOf(rated.state);
    if (noReschedule) {
      if (rating >= 3) after[kind] = Math.max(0, after[kind] - 1);
      return after;
    }
    after[kind] = Math.max(0, after[kind] - 1);
    if (Date.now() + rated.intervals[rating] * 1000 < dayEndsAt) after.learning += 1;
    return after;
  }

  function rate(rating) {
    if (!card || !revealed) return;
    const rated = card;
    const entry = {seq: nextSeq(), madeAt: Date.now(), mode: pageMode,
                   body: {question: rated.question, rating, client_id: uuid4(), expected_reps: rated.reps,
                          duration_ms: Math.round(performance.now() - shownAt)}};
    outbox.put(entry);
    undoable.push({kind: "rating", clientId: entry.body.client_id, card: rated, counts});
    counts = countsAfter(rated, rating);
    // A session that does not reschedule brings an Again or Hard card back after the others, as its
    // server does: no wait for the server when it is the last one left.
    if (noReschedule && rating <= 2 && !ahead.some((other) => other.question === rated.question)) ahead.push(rated);
    const next = ahead.shift() || null;
    if (next) showCard(next);
    else showNothing(null);
    showCounts();
    say("");
    send();
  }

  // The wait before a retry; the browser coming back online cuts it short.
  let wake = () => {};
  const pause = (ms) => new Promise((resolve) => {
    wake = resolve;
    setTimeout(resolve, ms);
  });

  // Sends what the outbox holds, oldest first, until it is empty; one sender at a time.
  function send() {
    if (!sending) sending = sendAll().finally(() => { sending = null; });
    return sending;
  }

  async function sendAll() {
    let failures = 0;
    for (let entries = outbox.all(); entries.length; entries = outbox.all()) {
      const entry = entries[0];
      const last = entries.length === 1;
      // Only the newest rating's answer brings the queue, unless the cards held run low first.
      const refill = last || ahead.length < HELD / 2;
      const body = {...entry.body, age_ms: Math.max(0, Date.now() - entry.madeAt), next_cards: refill ? HELD : 0};
      const attempt = request(withMode(root.dataset.reviewUrl, entry.mode || ""),
                              {method: "POST", body, signal: AbortSignal.timeout(GIVE_UP_MS)}).catch(() => null);
      inFlight = {clientId: entry.body.client_id, settled: attempt};
      const result = await attempt;
      inFlight = null;
      if (!result || result.status >= 500 || result.status === 429) {
        say(T.offline);
        await pause(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
        failures += 1;
        continue;
      }
      if (result.status === 401 || result.status === 403) return say(T.signed_out);  // kept for the next visit
      failures = 0;
      outbox.drop(entry.body.client_id);
      const mine = undoable.find((action) => action.clientId === entry.body.client_id);
      if (mine) mine.sent = true;
      if (result.status === 409) say(T.stale);
      else if (!result.ok) say(T.not_saved);  // refused for good (the card is gone): resending cannot help
      else say(result.data.became_leech ? T.became_leech : "");
      // Only the answer to the newest rating knows them all; a rating made meanwhile brings a newer one.
      const waiting = outbox.all();
      if (waiting.length === 0) {
        if (result.ok && result.data.next) takeQueue(result.data.next, {keepShown: true});
        else await load();
      } else if (result.ok && result.data.next) {
        topUp(result.data.next.cards, waiting);
      }
    }
  }

  // ---- Undo, bury, suspend: they change the server's queue, so they wait for the ratings before them.

  async function undo() {
    const last = undoable.at(-1) || {kind: "rating", sent: true};
    // A rating on its way: whether the server took it decides which undo it needs.
    if (last.kind === "rating" && inFlight?.clientId === last.clientId) await inFlight.settled;
    if (last.kind === "rating" && !last.sent && outbox.all().some((entry) => entry.body.client_id === last.clientId)) {
      // Not sent yet (still here, or waiting to retry): dropping it is the whole undo, and the card
      // comes back as it was.
      outbox.drop(last.clientId);
      undoable.pop();
      if (card) ahead.unshift(card);
      counts = last.counts;
      showCard(last.card);
      showCounts();
      return say(T.undone);
    }
    await send();
    const url = last.kind === "rating" ? withMode(root.dataset.undoUrl)
      : `${root.dataset.cardsUrl}${last.cardId}/${last.kind}/`;
    const {ok, status} = await request(url, {method: "POST"});
    const final = ok || status === 404 || status === 409;  // done, or nothing left to undo there
    if (final) undoable.pop();
    if (ok) say({rating: T.undone, unbury: T.unburied, unsuspend: T.unsuspended}[last.kind]);
    else say(final ? T.nothing_to_undo : T.network);
    await load();
  }

  async function setAside(url, message, undoneBy) {
    if (!card) return;
    await send();
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
    reveal: () => { if (!busy) reveal(); },
    rate: (rating) => { if (!busy) rate(rating); },
    undo: () => run(undo),
    bury: () => run(() => setAside(root.dataset.buryUrl, T.buried, "unbury")),
    suspend: () => run(() => setAside(root.dataset.suspendUrl, T.suspended, "unsuspend")),
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    // Keys typed in a field, or in an open dialog over the card (the search "/" opens), are not for the card;
    // one that reaches a dialog just closed (its button keeps the focus until the browser moves it) is.
    if (event.target.closest("input, textarea, select, [contenteditable], dialog[open]")) return;
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
  // Leaving the page (a link, the statistics): what waits goes out with the page, so the next page
  // already counts it. Whatever does not arrive stays stored and goes first on the next visit.
  window.addEventListener("pagehide", () => {
    for (const entry of outbox.all()) {
      const body = {...entry.body, age_ms: Math.max(0, Date.now() - entry.madeAt), next_cards: 0};
      request(withMode(root.dataset.reviewUrl, entry.mode || ""), {method: "POST", body, keepalive: true})
        .catch(() => {});
    }
  });
  // Back online: send what waits at once instead of at the next retry.
  window.addEventListener("online", () => {
    wake();
    send();
  });
  // Ratings left from an earlier visit go first: the queue is read after them.
  run(async () => {
    if (outbox.all().length) await send();
    else await load();
  });
})();
