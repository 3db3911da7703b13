// The study session: fetch the next card, reveal, rate, undo, bury, suspend — all from the keyboard
// (Anki's keys: Space shows then rates Good, 1–4 rate, u undoes, - buries, @ suspends).
(function () {
  "use strict";
  const root = document.querySelector("section.study");
  if (!root) return;
  const T = JSON.parse(document.getElementById("study-strings").textContent);
  const $ = (selector) => root.querySelector(selector);
  const csrf = () => document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";

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

  function say(text) {
    $(".study-status").textContent = text || "";
  }

  function formatInterval(seconds) {
    const fill = (key, n) => T[key].replace("%(n)s", n);
    const round = (n) => (n < 10 ? Math.round(n * 10) / 10 : Math.round(n));
    if (seconds < 3600) return fill("minutes", Math.max(1, Math.round(seconds / 60)));
    if (seconds < 86400) return fill("hours", round(seconds / 3600));
    const days = seconds / 86400;
    if (days < 30) return fill("days", Math.round(days));
    if (days < 365) return fill("months", round(days / 30.4));
    return fill("years", round(days / 365));
  }

  async function call(url, {method = "GET", body} = {}) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json"},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    return {status: response.status, ok: response.ok, data};
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
      : ` · ${T.retrievability.replace("%(n)s", `${Math.round(card.retrievability * 100)}%`)}`;
    window.setTextWithMath($(".prompt"), card.prompt);  // a learner's own question may hold $…$
    const answer = $(".answer");
    answer.innerHTML = card.answer_html;  // rendered server-side from the corpus Markdown
    answer.hidden = true;
    const links = $(".demo-links");
    links.replaceChildren(...card.demo_ids.map((id) => {
      const link = document.createElement("a");
      link.href = `/demos/${encodeURIComponent(id)}/`;
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
      later.querySelector("time").textContent = window.formatClockTime(new Date(queue.next_learning_due), {seconds: false});
    }
  }

  function showQueue(queue) {
    showCard(queue.cards[0] || null);
    showCounts(queue.counts);
    if (!card) showDone(queue);
  }

  async function load() {
    const {ok, data} = await call(`${root.dataset.queueUrl}?limit=1`);
    if (!ok) return say(T.network);
    showQueue(data);
  }

  function reveal() {
    if (!card || revealed) return;
    revealed = true;
    $(".answer").hidden = false;
    $(".demos").hidden = card.demo_ids.length === 0;
    $(".show-answer").hidden = true;
    $(".ratings").hidden = false;
    window.renderMath?.($(".answer"));
  }

  // A review keeps its client id across a retry, so a lost response never records it twice.
  async function rate(rating) {
    if (!card || !revealed) return;
    const body = {question: card.question, rating, client_id: uuid4(), expected_reps: card.reps,
                  duration_ms: Math.round(performance.now() - shownAt)};
    let result;
    try {
      result = await call(root.dataset.reviewUrl, {method: "POST", body});
    } catch (error) {
      result = await call(root.dataset.reviewUrl, {method: "POST", body}).catch(() => null);
    }
    if (!result) return say(T.network);
    if (result.status === 409) say(T.stale);
    else if (!result.ok) return say(T.network);
    else {
      say(result.data.became_leech ? T.became_leech : "");
      undoable.push({kind: "rating"});
    }
    // A review answers with the queue after it: no second request for the next card.
    if (result.data.next) showQueue(result.data.next);
    else await load();
  }

  // The last action leaves the list only once the server has answered for it: after a network error
  // or a 5xx, pressing u again retries that action instead of undoing the one before it.
  async function undo() {
    const last = undoable.at(-1) || {kind: "rating"};
    const url = last.kind === "rating" ? root.dataset.undoUrl : `${root.dataset.cardsUrl}${last.cardId}/${last.kind}/`;
    const {ok, status} = await call(url, {method: "POST"});
    const final = ok || status === 404 || status === 409;  // done, or nothing left to undo there
    if (final) undoable.pop();
    if (ok) say({rating: T.undone, unbury: T.unburied, unsuspend: T.unsuspended}[last.kind]);
    else say(final ? T.nothing_to_undo : T.network);
    await load();
  }

  async function setAside(url, message, undoneBy) {
    if (!card) return;
    const {ok, data} = await call(url, {method: "POST", body: {question: card.question}});
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
  root.querySelectorAll(".rate").forEach((button) => onClick(button, () => actions.rate(Number(button.dataset.rating))));
  onClick($(".undo"), actions.undo);
  onClick($(".bury"), actions.bury);
  onClick($(".suspend"), actions.suspend);
  run(load);
})();

// The statistics page: a calendar heat-map and Chart.js charts from the JSON the page embeds.
(function () {
  "use strict";
  const source = document.getElementById("study-stats");
  if (!source) return;
  const stats = JSON.parse(source.textContent);
  const L = JSON.parse(document.getElementById("study-chart-labels").textContent);
  const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.replace(`%(${k})s`, v), text);
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function calendar() {
    const grid = document.querySelector(".calendar-grid");
    const counts = new Map(stats.heatmap.days);
    const first = new Date(`${stats.heatmap.first_day}T00:00:00Z`);
    const last = new Date(`${stats.heatmap.last_day}T00:00:00Z`);
    const busiest = Math.max(1, ...counts.values());
    const months = document.querySelector(".calendar-months");
    const monthName = new Intl.DateTimeFormat(document.documentElement.lang, {month: "short", timeZone: "UTC"});
    const weekdayName = new Intl.DateTimeFormat(document.documentElement.lang, {weekday: "short", timeZone: "UTC"});
    const weekdays = document.querySelector(".calendar-weekdays");
    for (let row = 0; row < 7; row++) {  // rows run Sunday to Saturday; every other one named, as GitHub does
      const label = document.createElement("span");
      // 4 January 1970 was a Sunday.
      if (row % 2) label.textContent = weekdayName.format(new Date(Date.UTC(1970, 0, 4 + row)));
      weekdays.append(label);
    }
    // Columns are weeks starting on Sunday: pad the first column up to the first day's weekday.
    for (let i = 0; i < first.getUTCDay(); i++) grid.append(document.createElement("span"));
    for (let day = first, index = first.getUTCDay(); day <= last; day = new Date(day.getTime() + 86400000), index++) {
      const iso = day.toISOString().slice(0, 10);
      if (day.getUTCDate() === 1) {  // a month's name above the week its first day falls in
        const label = document.createElement("span");
        label.style.gridColumn = `${Math.floor(index / 7) + 1} / span 4`;
        label.textContent = monthName.format(day);
        months.append(label);
      }
      const count = counts.get(iso) || 0;
      const cell = document.createElement("span");
      cell.dataset.level = count ? String(Math.min(4, Math.ceil((4 * count) / busiest))) : "0";
      cell.title = fill(L.reviews_on, {n: count, day: iso});
      cell.dataset.day = iso;
      grid.append(cell);
    }
    const scroller = grid.closest(".calendar-scroll");
    scroller.scrollLeft = scroller.scrollWidth;  // today, not last year, in view on a narrow screen
  }

  // `unit` names the y-axis (window.chartAxisName).
  function chart(id, config, unit) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    new Chart(canvas, {...config, options: {responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {legend: {display: config.type === "doughnut", position: "bottom"}, title: window.chartAxisName(unit)},
      ...config.options}});
  }

  function charts() {
    Chart.defaults.color = css("--muted") || "#666";
    Chart.defaults.borderColor = css("--border") || "#ddd";
    const accent = css("--accent"), ok = css("--ok"), warn = css("--warn"), bad = css("--bad");
    chart("chart-forecast", {type: "bar", data: {labels: stats.forecast.map(([day]) => day.slice(5)),
      datasets: [{label: L.cards, data: stats.forecast.map(([, n]) => n), backgroundColor: ok}]},
      options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}}, L.cards);
    const states = ["new", "learning", "review", "relearning", "suspended", "leeches"];
    chart("chart-states", {type: "doughnut", data: {labels: states.map((s) => L[s]),
      datasets: [{data: states.map((s) => stats.cards_by_state[s]),
                  backgroundColor: [accent, bad, ok, warn, "#9ca3af", "#7c3aed"]}]}});
    chart("chart-retention", {type: "bar", data: {
      labels: stats.true_retention.map((w) => fill(L.days, {n: w.days})),
      datasets: [{label: L.retention, backgroundColor: accent,
                  data: stats.true_retention.map((w) => (w.retention === null ? null : Math.round(w.retention * 1000) / 10))}]},
      options: {scales: {y: {min: 0, max: 100}}}}, `${L.retention} (%)`);
    const bins = stats.retrievability.bins;
    chart("chart-retrievability", {type: "bar", data: {
      labels: bins.map((_, i) => `${i * 10}–${(i + 1) * 10}%`),
      datasets: [{label: L.cards, data: bins, backgroundColor: warn}]},
      options: {scales: {x: {title: {display: true, text: L.recall}}, y: {beginAtZero: true, ticks: {precision: 0}}}}},
      L.cards);
    chart("chart-time", {type: "bar", data: {labels: stats.time_spent.map(([day]) => day.slice(5)),
      datasets: [{label: L.minutes, data: stats.time_spent.map(([, m]) => m), backgroundColor: accent}]},
      options: {scales: {y: {beginAtZero: true}}}}, L.minutes);
  }

  calendar();
  if (window.Chart) charts();
  else window.addEventListener("load", charts);
})();
