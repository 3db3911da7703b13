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

  // Every colour a chart uses comes from the theme's CSS variables (app.css), read when drawn.
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const SERIES_COLOURS = 8;  // --chart-1 … --chart-8
  const seriesColour = (index) => css(`--chart-${(index % SERIES_COLOURS) + 1}`);

  // What is drawn in the theme's colours is drawn again when the theme changes (the toggle, or the system's
  // setting under "auto"): each entry a node of the page and the function that paints it.
  let themed = [];
  function paintInTheme(node, paint) {
    paint();
    themed.push({node, paint});
  }
  function repaintInTheme() {
    themed = themed.filter(({node}) => node.isConnected);  // a result replaced since: nothing to paint
    themed.forEach(({paint}) => paint());
  }
  new MutationObserver(repaintInTheme).observe(document.documentElement, {attributeFilter: ["data-theme"]});
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", repaintInTheme);

  function drawChart(box, chart) {
    const canvas = element("canvas");
    box.append(canvas);
    paintInTheme(canvas, () => {
      Chart.getChart(canvas)?.destroy();
      new Chart(canvas, chartConfig(chart));
    });
  }

  // A series may carry `colour` (a palette index: a second run's series takes its first run's colour) and
  // `dashed` (it belongs to the second run).
  function chartConfig(chart) {
    Chart.defaults.color = css("--muted") || "#666";
    Chart.defaults.borderColor = css("--border") || "#ddd";
    const datasets = chart.series.map((series, index) => ({
      label: pick(series.name),
      data: series.points.map(([x, y]) => ({x, y})),
      borderColor: seriesColour(series.colour ?? index),
      backgroundColor: seriesColour(series.colour ?? index),
      borderDash: series.dashed ? [6, 4] : [],
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
    return {
      type: chart.kind === "bar" ? "bar" : "scatter",
      data: {datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: chart.kind === "bar",
        plugins: {title: {display: true, text: pick(chart.title)}, subtitle: chartAxisName(pick(chart.y_label)),
                  legend: {position: "bottom"}},
        scales: {x: axis(pick(chart.x_label), chart.x_scale, column(0)), y: axis("", chart.y_scale, column(1))},
      },
    };
  }

  function heatColor(t) {
    // Dark blue → yellow (viridis-like), t in [0, 1].
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const position = Math.min(stops.length - 1.0001, Math.max(0, t) * (stops.length - 1));
    const low = stops[Math.floor(position)], high = stops[Math.floor(position) + 1], f = position % 1;
    return `rgb(${low.map((c, i) => Math.round(c + (high[i] - c) * f)).join(",")})`;
  }

  // One colour scale per group of heat-maps (engine/result.py's scale_group: the same quantity with and
  // without a change), so that one colour means one value across the group; a heat-map with no group
  // keeps its own scale. Each group is drawn side by side over its one colour bar.
  function heatmapGroups(heatmaps) {
    const groups = new Map();
    heatmaps.forEach((heatmap, index) => {
      const key = heatmap.scale_group || `own-${index}`;
      groups.set(key, [...(groups.get(key) || []), heatmap]);
    });
    return [...groups.values()];
  }

  function colourScale(heatmaps) {
    const log = heatmaps[0].log_color;
    const transform = (v) => (log ? Math.log10(Math.max(v, 1e-30)) : v);
    const values = heatmaps.flatMap((heatmap) => heatmap.values.flat());
    const finite = values.filter((v) => v !== null).map(transform);
    const low = finite.length ? Math.min(...finite) : 0, high = finite.length ? Math.max(...finite) : 0;
    return {log, missing: finite.length < values.length,
            position: (v) => (high > low ? (transform(v) - low) / (high - low) : 0.5),
            valueAt: (t) => (log ? 10 ** (low + t * (high - low)) : low + t * (high - low))};
  }

  function drawHeatmapGroup(container, heatmaps) {
    const scale = colourScale(heatmaps);
    const group = element("div", {class: "heatmap-group", "data-scale-group": heatmaps[0].scale_group || ""});
    const row = element("div", {class: "heatmap-row"});
    heatmaps.forEach((heatmap) => drawHeatmap(row, heatmap, scale));
    group.append(row, colourBar(scale));
    container.append(group);
  }

  function drawHeatmap(box, heatmap, scale) {
    const item = element("div", {class: "heatmap-item"});
    item.append(element("h3", {}, pick(heatmap.title)));
    const rows = heatmap.values.length, cols = heatmap.values[0]?.length || 0;
    const cell = Math.max(4, Math.min(28, Math.floor(640 / Math.max(cols, 1))));
    const canvas = element("canvas", {width: cols * cell, height: rows * cell, role: "img",
      "aria-label": `${pick(heatmap.y_label)} × ${pick(heatmap.x_label)}`});
    const context = canvas.getContext("2d");
    paintInTheme(canvas, () => heatmap.values.forEach((row, r) => row.forEach((value, c) => {
      context.fillStyle = value === null ? css("--heat-missing") : heatColor(scale.position(value));
      context.fillRect(c * cell, r * cell, cell, cell);
    })));
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
      `(${heatmap.x_ticks[0]} … ${heatmap.x_ticks[cols - 1]})`));
    item.append(figure);
    box.append(item);
  }

  const COLOUR_BAR_TICKS = 5;
  const COLOUR_BAR_STEPS = 256;

  // The colours from the group's lowest value to its highest, with values under them evenly spaced (in the
  // exponent on a log scale); and the colour of a missing value where the group has one.
  function colourBar(scale) {
    const [low, high] = [scale.valueAt(0), scale.valueAt(1)];
    const bar = element("div", {class: "colour-bar", "data-low": low, "data-high": high});
    const range = `${formatNumber(low)} – ${formatNumber(high)}${scale.log ? ` (${T.log})` : ""}`;
    const canvas = element("canvas", {width: COLOUR_BAR_STEPS, height: 1, role: "img",
                                      "aria-label": `${T.colour_scale}: ${range}`});
    const context = canvas.getContext("2d");
    for (let x = 0; x < COLOUR_BAR_STEPS; x++) {
      context.fillStyle = heatColor(x / (COLOUR_BAR_STEPS - 1));
      context.fillRect(x, 0, 1, 1);
    }
    const ticks = element("div", {class: "colour-bar-ticks"});
    for (let i = 0; i < COLOUR_BAR_TICKS; i++) {
      ticks.append(element("span", {}, formatNumber(scale.valueAt(i / (COLOUR_BAR_TICKS - 1)))));
    }
    bar.append(canvas, ticks);
    const notes = element("div", {class: "muted small"}, scale.log ? `${T.log} ` : "");
    if (scale.missing) notes.append(element("span", {class: "colour-bar-missing"}), T.no_value);
    bar.append(notes);
    return bar;
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

  // A run's parameters by their labels, in the page's language (the API's params_in_words).
  function paramsInWords(run, names = Object.keys(run.params || {})) {
    const words = run.params_in_words
      || Object.entries(run.params || {}).map(([name, value]) => ({name, value, label: name, value_label: null}));
    const valueText = (item) => (item.value_label ? pick(item.value_label)
      : typeof item.value === "number" ? formatNumber(item.value) : String(item.value));
    return words.filter((item) => names.includes(item.name))
      .map((item) => fill(T.param_value, {label: pick(item.label), value: valueText(item)})).join(" · ");
  }

  const differingParams = (params, others) => Object.keys(params)
    .filter((name) => String(params[name]) !== String(others[name]));

  // Each run of a comparison named by what sets it apart: "Activation: ReLU" against "Activation: Tanh".
  function comparisonLabels(run, other) {
    const names = differingParams(run.params, other.params);
    return {run: paramsInWords(run, names), other: paramsInWords(other, names) || T.second_run};
  }

  // A chart of the shown run with the same chart of the second run drawn over it: dashed, each series in
  // the colour of the first run's series of the same name, the legend naming each run by what differs.
  function overlaid(chart, otherChart, labels) {
    if (!otherChart) return chart;
    const indexByName = new Map(chart.series.map((series, index) => [JSON.stringify(series.name), index]));
    const named = (series, run) => ({...series, name: fill(T.series_of_run, {series: pick(series.name), run})});
    return {...chart, series: [
      ...chart.series.map((series, index) => ({...named(series, labels.run), colour: index})),
      ...otherChart.series.map((series, index) => ({...named(series, labels.other), dashed: true,
        colour: indexByName.get(JSON.stringify(series.name)) ?? chart.series.length + index})),
    ]};
  }

  const metricText = (metric) => (metric
    ? `${formatNumber(metric.value)}${metric.unit ? " " + pick(metric.unit) : ""}` : "—");

  function summaryGrid(result) {
    const summary = element("div", {class: "summary-grid"});
    result.summary.forEach((metric) => {
      const box = element("div", {class: "metric", "data-key": metric.key});
      box.append(element("div", {class: "muted small"}, pick(metric.label)),
        element("div", {class: "value"}, metricText(metric)));
      summary.append(box);
    });
    return summary;
  }

  // Both runs' key numbers side by side, a row per measure either run has.
  function summaryTable(run, other, labels) {
    const table = element("table", {class: "result-table compare-summary"});
    const head = table.createTHead().insertRow();
    [T.measure, labels.run, labels.other].forEach((text) => head.append(element("th", {}, text)));
    const body = table.createTBody();
    const otherByKey = new Map(other.result.summary.map((metric) => [metric.key, metric]));
    const keys = new Set(run.result.summary.map((metric) => metric.key));
    [...run.result.summary, ...other.result.summary.filter((metric) => !keys.has(metric.key))].forEach((metric) => {
      const row = body.insertRow();
      row.dataset.key = metric.key;
      row.insertCell().textContent = pick(metric.label);
      const mine = run.result.summary.find((item) => item.key === metric.key);
      [mine, otherByKey.get(metric.key)].forEach((item) => {
        const cell = row.insertCell();
        cell.className = "value";
        cell.textContent = metricText(item);
      });
    });
    return table;
  }

  function conclusion(run, label) {
    const node = element("p", {class: "conclusion"});
    if (label) node.append(element("span", {class: "muted small run-label"}, label), element("br"));
    node.append(pick(run.result.conclusion));
    return node;
  }

  // The result boxes' shown run, the second run drawn over it, and the one still computing: what Compare needs.
  const shownRuns = new WeakMap();

  function clearResult(container) {
    container.querySelectorAll("canvas").forEach((canvas) => window.Chart?.getChart(canvas)?.destroy());
    container.replaceChildren();
  }

  function renderResult(container, run, other = null) {
    clearResult(container);
    shownRuns.set(container, {run, other, pending: null});
    const result = run.result;
    const labels = other && comparisonLabels(run, other);
    container.append(conclusion(run, labels?.run));
    if (other) container.append(conclusion(other, labels.other), summaryTable(run, other, labels));
    else container.append(summaryGrid(result));
    result.charts.forEach((chart, index) => {
      const box = element("div", {class: "chart-box"});
      container.append(box);
      drawChart(box, other ? overlaid(chart, other.result.charts[index], labels) : chart);
    });
    heatmapGroups(result.heatmaps).forEach((group) => drawHeatmapGroup(container, group));
    result.tables.forEach((table) => drawTable(container, table));
    // Which parameters produced these numbers: another learner's run may be shown, and a form left
    // with other values must not pass for the settings of this result.
    const labelled = (label, value) => fill(T.param_value, {label, value});
    container.append(element("p", {class: "muted small run-params"}, labelled(T.params, paramsInWords(run))));
    if (other) {
      container.append(
        element("p", {class: "muted small compare-params"}, labelled(T.second_run, paramsInWords(other))),
        element("p", {class: "muted small"}, T.compare_note));
      const hide = element("button", {type: "button", class: "secondary hide-comparison"}, T.hide_comparison);
      hide.addEventListener("click", () => {
        renderResult(container, run);
        writeAddress(run.params);
      });
      container.append(hide);
    }
    container.append(element("p", {class: "muted small run-meta"},
      `${T.device}: ${result.device_name} (${result.device}) · ${T.compute}: ${result.compute_seconds} s · ${T.engine} ${result.engine_version}`));
  }

  // What a finished run's status line says, by how it came: "stored" (the page brought it: the server wrote
  // its label), "cached" (a request found it finished) or "fresh" (computed while the learner waited).
  function finishedLabel(output, run, origin) {
    if (origin === "stored" && output.dataset.storedLabel) return output.dataset.storedLabel;
    const values = {when: new Date(run.finished_at).toLocaleString(document.documentElement.lang),
      device: run.result.device_name, seconds: run.result.compute_seconds};
    return fill(origin === "cached" ? T.cached : T.finished, values);
  }

  function showRun(output, run, origin) {
    const status = output.querySelector(".run-status");
    const bar = output.querySelector(".progress");
    output.dataset.status = run.status;
    if (run.status !== "succeeded") output.querySelector(".result").replaceChildren();  // not this run's result
    if (run.status === "succeeded") {
      bar.hidden = true;
      status.className = "run-status muted";
      status.textContent = finishedLabel(output, run, origin);
      renderResult(output.querySelector(".result"), run);
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

  async function pollOnce(output, runId) {
    try {
      const {ok, data} = await request(`${output.dataset.runsUrl}${encodeURIComponent(runId)}/`);
      return ok ? data : null;  // null as well for a body that is not JSON: a failed poll
    } catch {
      return null;  // no answer: a failed poll too
    }
  }

  async function follow(output, runId, origin, show = showRun) {
    let failures = 0;
    for (let delay = 300; ; delay = Math.min(delay * 1.3, 1500)) {
      const run = await pollOnce(output, runId);
      if (run) {
        failures = 0;
        show(output, run, origin);
        if (run.status === "succeeded" || run.status === "failed") return run;
      } else if (++failures >= MAX_POLL_FAILURES) {
        const status = output.querySelector(".run-status");
        output.querySelector(".progress").hidden = true;
        status.className = "run-status status-failed";
        status.textContent = T.lost;
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  function clearErrors(scope) {
    scope.querySelectorAll("[data-error-for], .form-error").forEach((node) => (node.textContent = ""));
  }

  // The run the server took (cached or new), or null with the reason shown: on each field in error, or in errorBox.
  async function requestRun(startUrl, params, errorBox) {
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
      return null;
    }
    if (response.status === 401 || response.status === 403) { errorBox.textContent = T.login; return null; }
    if (response.status === 429) { errorBox.textContent = fill(T.retry, {n: response.retryAfter}); return null; }
    if (!response.ok) { errorBox.textContent = body.detail || response.statusText; return null; }
    return body;
  }

  async function start(output, startUrl, params, errorBox) {
    const body = await requestRun(startUrl, params, errorBox);
    if (!body) return;
    output.querySelector(".no-linked-run")?.remove();  // said of the link's parameters, before this run
    output.querySelector(".compare-status")?.replaceChildren();  // a comparison's progress: this run ends it
    const origin = body.from_cache ? "cached" : "fresh";  // a run joined in flight is computed before our eyes
    showRun(output, body, origin);
    await follow(output, body.id, origin);
  }

  // A second run, with the form's parameters, drawn over the shown one (started, or taken from the cache:
  // anonymous visitors compare cached runs).
  async function compare(form, output, errorBox) {
    const container = output.querySelector(".result");
    const state = shownRuns.get(container);
    const params = readParams(form);
    clearErrors(document);
    if (!state || output.dataset.status !== "succeeded") { errorBox.textContent = T.compare_first; return; }
    if (!differingParams(params, state.run.params).length) { errorBox.textContent = T.compare_same; return; }
    const body = await requestRun(form.dataset.startUrl, params, errorBox);
    if (body) await followComparison(output, body.id);
  }

  async function followComparison(output, runId) {
    shownRuns.get(output.querySelector(".result")).pending = runId;
    await follow(output, runId, "cached", showComparison);
  }

  function showComparison(output, run) {
    const container = output.querySelector(".result");
    const state = shownRuns.get(container);
    // A run started since, or another comparison, has taken the page.
    if (state?.pending !== run.id || output.dataset.status !== "succeeded") return;
    const status = output.querySelector(".compare-status");
    status.className = "compare-status muted";
    if (run.status === "succeeded") {
      status.textContent = "";
      renderResult(container, state.run, run);
      const changed = differingParams(run.params, state.run.params);
      writeAddress(state.run.params, Object.fromEntries(changed.map((name) => [name, run.params[name]])));
    } else if (run.status === "failed") {
      status.className = "compare-status status-failed";
      status.textContent = fill(T.param_value, {label: T.second_run, value: `${T.failed}: ${run.error}`});
    } else {
      status.textContent = fill(T.param_value, {label: T.second_run, value: run.status === "queued" ? T.queued
        : `${T.running} ${Math.round(run.progress * 100)}% ${pick(run.progress_message)}`});
    }
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

  const COMPARED = "vs.";  // selectors.COMPARED

  // The form's parameters in the page's address, to share or reopen: the server fills the form from them and
  // shows their run when one has finished (views.detail). While a comparison is shown, the address holds the
  // first run's parameters and, prefixed, those the second one changed: the link reopens the comparison.
  function writeAddress(params, compared = {}) {
    const query = new URLSearchParams();
    Object.entries(params).forEach(([name, value]) => query.set(name, value ?? ""));
    Object.entries(compared).forEach(([name, value]) => query.set(`${COMPARED}${name}`, value ?? ""));
    history.replaceState(history.state, "", `${location.pathname}?${query}`);
  }

  // The demo's own defaults: the fields' initial values are the link's, which form.reset() would restore.
  function setDefaults(form) {
    form.querySelectorAll("[name][data-default]").forEach((input) => {
      if (input.type === "checkbox") input.checked = input.dataset.default === "true";
      else input.value = input.dataset.default;
    });
  }

  document.querySelectorAll("form.demo-form").forEach((form) => {
    const output = document.querySelector(".demo-output");
    const errorBox = form.querySelector(".form-error");
    ["input", "change"].forEach((type) => form.addEventListener(type, () => writeAddress(readParams(form))));
    const compareButton = form.querySelector(".compare-button");
    compareButton?.addEventListener("click", async () => {
      compareButton.disabled = true;
      try { await compare(form, output, errorBox); } finally { compareButton.disabled = false; }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // No check by the browser first: its bubble speaks the browser's language. The server checks
      // every bound before queueing and answers in the page's (a number field holding text sends null).
      const button = form.querySelector(".run-button");
      button.disabled = true;
      try { await start(output, form.dataset.startUrl, readParams(form), errorBox); } finally { button.disabled = false; }
    });
    form.querySelector(".reset-button")?.addEventListener("click", () => {
      setDefaults(form);
      writeAddress(readParams(form));
      clearErrors(form);  // the defaults are all valid: messages about the old values would mislead
    });
  });

  document.querySelectorAll(".demo-output[data-run-id]").forEach(async (output) => {
    const run = await follow(output, output.dataset.runId, "stored");
    // A shared comparison: its second run over the first.
    const compared = output.dataset.comparedRunId;
    if (run?.status === "succeeded" && compared) followComparison(output, compared);
  });

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
