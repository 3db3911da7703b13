// Demo pages: start a run through the API, poll it, and draw any result with one renderer.
(function () {
  "use strict";
  const {request, pageData, fill, chartAxisName} = window.QuizApp;
  const T = pageData("demo-strings");
  // A result's texts come in both languages ({en, zh}): the page's one is shown.
  const LANG = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  const pick = (text) => (text && typeof text === "object" ? text[LANG] ?? text.en ?? "" : text ?? "");

  function formatNumber(value) {
    if (value === null || value === undefined) return "—";
    const magnitude = Math.abs(value);
    if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(2);
    return Number(value.toPrecision(4)).toString();
  }

  function element(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    Object.entries(attributes).forEach(([key, value]) => node.setAttribute(key, value));
    if (text) node.textContent = text;
    return node;
  }

  const WIDE_LOG_SPAN = 6;  // decades
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

  function logRange(values) {
    // Left to itself, Chart.js picks a broken log range (an empty chart) when the data span dozens
    // of decades, as a vanished gradient next to an exploded one does, and starts the axis at 1
    // when a value is 0 (a gradient that underflowed), hiding everything below: give it whole
    // decades then. A narrow span of positive values keeps Chart.js's own range, which shows its detail.
    const positive = values.filter((value) => value > 0);
    if (!positive.length) return {};
    const low = Math.floor(Math.log10(Math.min(...positive)));
    let high = Math.ceil(Math.log10(Math.max(...positive)));
    if (high === low) high += 1;  // the positive values are one power of ten: a decade, not an empty range
    const hasZero = values.some((value) => typeof value === "number" && value <= 0);
    const ticks = {callback: logTickLabel(high - low)};
    if (high - low <= WIDE_LOG_SPAN) return hasZero ? {min: 10 ** low, max: 10 ** high, ticks} : {ticks};
    return {min: 10 ** low, max: 10 ** high, ticks, afterBuildTicks: (axis) => (axis.ticks = decadeTicks(low, high))};
  }

  // Whole decades a round number apart, at most MAX_DECADE_TICKS: Chart.js would make nine ticks a
  // decade and then skip labels unevenly, crowding some (1e+8 on top of 1e+3) and leaving gaps.
  const MAX_DECADE_TICKS = 8;
  function decadeTicks(low, high) {
    const step = [1, 2, 3, 4, 5, 10, 20, 25, 50, 100].find((s) => (high - low) / s < MAX_DECADE_TICKS) ?? 100;
    const ticks = [];
    for (let exponent = Math.ceil(low / step) * step; exponent <= high; exponent += step) {
      ticks.push({value: 10 ** exponent});
    }
    return ticks;
  }

  // Chart.js labels every tick of a log axis (1, 2, 3 … 9 in each decade): on a phone they overlap.
  // Label the decades only, plus 2 and 5 when the axis spans two decades, every tick within one
  // decade; past three decades write them all as powers of ten (1e-4, 1e+2), not "0.001" next to
  // "1.00e-4".
  function logTickLabel(decades) {
    if (decades <= 1) return (value) => formatNumber(value);
    const kept = decades > 2 ? [1] : [1, 2, 5];
    return (value) => {
      const exponent = Math.floor(Math.log10(value) + 1e-9);
      const leading = value / 10 ** exponent;
      if (!kept.some((digit) => Math.abs(leading - digit) < 1e-6)) return "";
      return decades > 3 ? `${Math.round(leading)}e${exponent < 0 ? "" : "+"}${exponent}` : formatNumber(value);
    };
  }

  // Chart text and grid in the theme's colours (read when drawn: the theme may have changed since).
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function drawChart(box, chart) {
    Chart.defaults.color = css("--muted") || "#666";
    Chart.defaults.borderColor = css("--border") || "#ddd";
    const canvas = element("canvas");
    box.append(canvas);
    const datasets = chart.series.map((series, index) => ({
      label: pick(series.name),
      data: series.points.map(([x, y]) => ({x, y})),
      borderColor: PALETTE[index % PALETTE.length],
      backgroundColor: PALETTE[index % PALETTE.length],
      pointRadius: chart.kind === "scatter" ? 3 : (series.points.length > 40 ? 0 : 2),
      showLine: chart.kind !== "scatter",
      spanGaps: false,
    }));
    const axis = (label, scale, values) => {
      // Values within one decade read best on a linear axis: a log one crowds its labels at the top.
      const numbers = values.filter((value) => typeof value === "number");
      const withinDecade = numbers.every((value) => value > 0) && Math.max(...numbers) < 10 * Math.min(...numbers);
      const log = scale === "log" && !withinDecade;
      const options = {type: log ? "logarithmic" : "linear", title: {display: Boolean(label), text: label}};
      if (log) Object.assign(options, logRange(values));
      return options;
    };
    const column = (index) => chart.series.flatMap((series) => series.points.map((point) => point[index]));
    new Chart(canvas, {
      type: chart.kind === "bar" ? "bar" : "scatter",
      data: {datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: chart.kind === "bar",
        plugins: {title: {display: true, text: pick(chart.title)}, subtitle: chartAxisName(pick(chart.y_label)),
                  legend: {position: "bottom"}},
        scales: {x: axis(pick(chart.x_label), chart.x_scale, column(0)), y: axis("", chart.y_scale, column(1))},
      },
    });
  }

  function heatColor(t) {
    // Dark blue → yellow (viridis-like), t in [0, 1].
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const position = Math.min(stops.length - 1.0001, Math.max(0, t) * (stops.length - 1));
    const low = stops[Math.floor(position)], high = stops[Math.floor(position) + 1], f = position % 1;
    return `rgb(${low.map((c, i) => Math.round(c + (high[i] - c) * f)).join(",")})`;
  }

  function drawHeatmap(box, heatmap) {
    box.append(element("h3", {}, pick(heatmap.title)));
    const rows = heatmap.values.length, cols = heatmap.values[0]?.length || 0;
    const transform = (v) => (heatmap.log_color ? Math.log10(Math.max(v, 1e-30)) : v);
    const finite = heatmap.values.flat().filter((v) => v !== null).map(transform);
    const low = Math.min(...finite), high = Math.max(...finite);
    const cell = Math.max(4, Math.min(28, Math.floor(640 / Math.max(cols, 1))));
    const canvas = element("canvas", {width: cols * cell, height: rows * cell, role: "img",
      "aria-label": `${pick(heatmap.y_label)} × ${pick(heatmap.x_label)}`});
    const context = canvas.getContext("2d");
    heatmap.values.forEach((row, r) => row.forEach((value, c) => {
      context.fillStyle = value === null ? "#999" : heatColor(high > low ? (transform(value) - low) / (high - low) : 0.5);
      context.fillRect(c * cell, r * cell, cell, cell);
      canvas.title = "";
    }));
    canvas.addEventListener("mousemove", (event) => {
      const rect = canvas.getBoundingClientRect();
      const c = Math.floor((event.clientX - rect.left) / rect.width * cols);
      const r = Math.floor((event.clientY - rect.top) / rect.height * rows);
      if (heatmap.values[r] && c >= 0 && c < cols) {
        canvas.title = `${heatmap.y_ticks[r]} / ${heatmap.x_ticks[c]}: ${formatNumber(heatmap.values[r][c])}`;
      }
    });
    const figure = element("figure", {class: "heatmap"});
    figure.append(canvas, element("figcaption", {class: "muted small"},
      `↓ ${pick(heatmap.y_label)} (${heatmap.y_ticks[0]} … ${heatmap.y_ticks[rows - 1]}), → ${pick(heatmap.x_label)} ` +
      `(${heatmap.x_ticks[0]} … ${heatmap.x_ticks[cols - 1]}); ${formatNumber(heatmap.log_color ? 10 ** low : low)} – ` +
      `${formatNumber(heatmap.log_color ? 10 ** high : high)}${heatmap.log_color ? ` (${T.log})` : ""}`));
    box.append(figure);
  }

  function drawTable(box, table) {
    box.append(element("h3", {}, pick(table.title)));
    const node = element("table", {class: "result-table"});
    const head = node.createTHead().insertRow();
    table.columns.forEach((column) => head.append(element("th", {}, pick(column))));
    const body = node.createTBody();
    table.rows.forEach((row) => {
      const tr = body.insertRow();
      row.forEach((value) => tr.insertCell().textContent = typeof value === "number" ? formatNumber(value) : pick(value));
    });
    box.append(node);
  }

  function renderResult(container, result, params) {
    container.replaceChildren();
    container.append(element("p", {class: "conclusion"}, pick(result.conclusion)));
    const summary = element("div", {class: "summary-grid"});
    result.summary.forEach((metric) => {
      const box = element("div", {class: "metric", "data-key": metric.key});
      box.append(element("div", {class: "muted small"}, pick(metric.label)),
        element("div", {class: "value"}, `${formatNumber(metric.value)}${metric.unit ? " " + pick(metric.unit) : ""}`));
      summary.append(box);
    });
    container.append(summary);
    result.charts.forEach((chart) => {
      const box = element("div", {class: "chart-box"});
      container.append(box);
      drawChart(box, chart);
    });
    result.heatmaps.forEach((heatmap) => drawHeatmap(container, heatmap));
    result.tables.forEach((table) => drawTable(container, table));
    // Which parameters produced these numbers: another learner's run may be shown, and a form left
    // with other values must not pass for the settings of this result.
    container.append(element("p", {class: "muted small run-params"},
      `${T.params}: ${Object.entries(params || {}).map(([name, value]) => `${name} = ${value}`).join(" · ")}`));
    container.append(element("p", {class: "muted small run-meta"},
      `${T.device}: ${result.device_name} (${result.device}) · ${T.compute}: ${result.compute_seconds} s · ${T.engine} ${result.engine_version}`));
  }

  // The charts of a run still training, redrawn as they grow; the result's own charts replace them.
  function drawLiveCharts(output, charts) {
    let box = output.querySelector(".live-charts");
    if (!box) {
      box = element("div", {class: "live-charts"});
      output.querySelector(".result").before(box);
    }
    box.querySelectorAll("canvas").forEach((canvas) => Chart.getChart(canvas)?.destroy());
    box.replaceChildren();
    charts.forEach((chart) => {
      const chartBox = element("div", {class: "chart-box"});
      box.append(chartBox);
      drawChart(chartBox, chart);
    });
  }

  function showRun(output, run, fromCache) {
    // Each change a page can see bumps the run's progress_seq: an answer that brings nothing new draws nothing.
    const shown = `${run.id} ${run.progress_seq}`;
    if (output.dataset.shown === shown) return;
    output.dataset.shown = shown;
    const status = output.querySelector(".run-status");
    const bar = output.querySelector(".progress");
    output.dataset.status = run.status;
    if (run.status !== "succeeded") output.querySelector(".result").replaceChildren();  // not this run's result
    drawLiveCharts(output, run.status === "running" ? run.live_charts || [] : []);
    output.dispatchEvent(new CustomEvent("demo:run", {bubbles: true, detail: run}));
    if (run.status === "succeeded") {
      bar.hidden = true;
      status.className = "run-status muted";
      status.textContent = fromCache ? T.cached : T.finished;
      renderResult(output.querySelector(".result"), run.result, run.params);
    } else if (run.status === "failed") {
      bar.hidden = true;
      status.textContent = `${T.failed}: ${run.error}`;
      status.className = "run-status status-failed";
    } else {
      bar.hidden = false;
      bar.firstElementChild.style.width = `${Math.round(run.progress * 100)}%`;
      status.className = "run-status muted";
      status.textContent = run.status === "queued" ? T.queued
        : `${T.running} ${Math.round(run.progress * 100)}% ${pick(run.progress_message)}`;
    }
  }

  const MAX_POLL_FAILURES = 5;  // in a row: a restarting server or a network blip passes, an outage does not

  const UNCHANGED = "unchanged";

  async function pollOnce(output, runId, seenSeq) {
    const seen = seenSeq === null ? "" : `?seen=${seenSeq}`;
    try {
      const {ok, status, data} = await request(`${output.dataset.runsUrl}${encodeURIComponent(runId)}/${seen}`);
      if (status === 204) return UNCHANGED;  // nothing new since what the page shows
      return ok ? data : null;  // null as well for a body that is not JSON: a failed poll
    } catch {
      return null;  // no answer: a failed poll too
    }
  }

  // While a run is live the page asks for it at this fixed short interval, so its progress, live charts and
  // result show as they happen (README, Architecture): a poll of a live run is one SELECT on the server.
  const LIVE_POLL_MS = 50;

  const isFinished = (run) => run.status === "succeeded" || run.status === "failed";

  // `shown`: the run as the page already shows it (the start's answer), if any.
  async function follow(output, runId, fromCache = false, shown = null) {
    if (shown && isFinished(shown)) return shown;
    let failures = 0, seenSeq = shown ? shown.progress_seq : null;
    for (;;) {
      const run = await pollOnce(output, runId, seenSeq);
      if (run === UNCHANGED) {
        failures = 0;
      } else if (run) {
        failures = 0;
        seenSeq = run.progress_seq;
        showRun(output, run, fromCache);
        if (isFinished(run)) return run;
      } else if (++failures >= MAX_POLL_FAILURES) {
        const status = output.querySelector(".run-status");
        output.querySelector(".progress").hidden = true;
        status.className = "run-status status-failed";
        status.textContent = T.lost;
        return null;
      }
      // A failed poll (a restarting server, a network blip) waits longer each time before the next.
      await new Promise((resolve) => setTimeout(resolve, Math.min(LIVE_POLL_MS * 4 ** failures, 2000)));
    }
  }

  function clearErrors(scope) {
    scope.querySelectorAll("[data-error-for], .form-error").forEach((node) => (node.textContent = ""));
  }

  async function start(output, startUrl, params, errorBox) {
    errorBox.textContent = "";
    clearErrors(document);
    const response = await request(startUrl, {method: "POST", body: {params}});
    const body = response.data || {};
    if (response.status === 400 && body.params) {
      Object.entries(body.params).forEach(([name, message]) => {
        const slot = document.querySelector(`[data-error-for="${name}"]`);
        if (slot) slot.textContent = message; else errorBox.textContent += `${name}: ${message} `;
      });
      // The first field in error, in view: on a phone it can be a screen above the Run button.
      const fields = [...document.querySelectorAll(".demo-form [name]")];
      fields.find((field) => field.name in body.params)?.focus();
      return;
    }
    if (response.status === 401 || response.status === 403) { errorBox.textContent = T.login; return; }
    if (response.status === 429) { errorBox.textContent = fill(T.retry, {n: response.retryAfter}); return; }
    if (!response.ok) { errorBox.textContent = body.detail || response.statusText; return; }
    showRun(output, body, body.from_cache);
    await follow(output, body.id, body.from_cache, body);
  }

  function readParams(form) {
    const params = {};
    form.querySelectorAll("[name]").forEach((input) => {
      if (input.type === "checkbox") params[input.name] = input.checked;
      else if (input.type === "number") params[input.name] = input.value === "" ? null : Number(input.value);
      else params[input.name] = input.value;
    });
    return params;
  }

  document.querySelectorAll("form.demo-form").forEach((form) => {
    const output = document.querySelector(".demo-output");
    const errorBox = form.querySelector(".form-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // No check by the browser first: its bubble speaks the browser's language. The server checks
      // every bound before queueing and answers in the page's (a number field holding text sends null).
      const button = form.querySelector(".run-button");
      button.disabled = true;
      try { await start(output, form.dataset.startUrl, readParams(form), errorBox); } finally { button.disabled = false; }
    });
    form.querySelector(".reset-button")?.addEventListener("click", () => {
      form.reset();
      clearErrors(form);  // the defaults are all valid: messages about the old values would mislead
    });
  });

  document.querySelectorAll(".demo-output[data-run-id]").forEach((output) => follow(output, output.dataset.runId));

  document.querySelectorAll("button.run-default").forEach((button) => button.addEventListener("click", async () => {
    const output = button.closest(".demo-output");
    const errorBox = element("div", {class: "errorlist"});
    output.append(errorBox);
    button.disabled = true;
    try { await start(output, button.dataset.startUrl, {}, errorBox); } finally { button.disabled = false; }
  }));
  // The study card draws a demo's main chart under its answer, as this page does.
  window.QuizApp.drawDemoChart = drawChart;
})();
