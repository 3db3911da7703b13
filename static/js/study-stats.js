// The statistics page: a calendar heat-map and Chart.js charts from the JSON the page embeds.
(function () {
  "use strict";
  const {pageData, fill, chartAxisName} = window.QuizApp;
  const stats = pageData("study-stats");
  const L = pageData("study-chart-labels");
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

  // `unit` names the y-axis (chartAxisName).
  function chart(id, config, unit) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    new Chart(canvas, {...config, options: {responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {legend: {display: config.type === "doughnut", position: "bottom"}, title: chartAxisName(unit)},
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
