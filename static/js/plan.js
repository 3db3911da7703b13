// The interview plan page: cards seen by each day until the interview (at the plan's rate and at the
// learner's), and per topic cards seen, predicted recall on the day and the latest mock score (%).
(function () {
  "use strict";
  const {pageData, fill, chartAxisName} = window.QuizApp;
  const data = pageData("plan-chart");
  const L = pageData("plan-chart-labels");
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const base = {responsive: true, maintainAspectRatio: false, animation: false};

  function readiness() {
    const canvas = document.getElementById("chart-readiness");
    if (!canvas) return;
    // Three bars a topic, each topic a band of its own: the box grows with the topics.
    canvas.parentElement.style.height = `${6 + 2.5 * data.topics.length}rem`;
    new Chart(canvas, {type: "bar", data: {labels: data.topics, datasets: [
      {label: L.seen, data: data.seen, backgroundColor: css("--accent")},
      {label: L.recall, data: data.recall, backgroundColor: css("--ok")},
      {label: L.score, data: data.score, backgroundColor: css("--warn")}]},
    options: {...base, indexAxis: "y", scales: {x: {min: 0, max: 100, title: {display: true, text: `${L.percent} (%)`}}},
      plugins: {legend: {position: "bottom"}}}});
  }

  function seenByDay() {
    const canvas = document.getElementById("chart-plan");
    const plan = data.seen_by_day;
    if (!canvas || !plan) return;
    new Chart(canvas, {type: "line", data: {labels: plan.days.map((day) => day.slice(5)), datasets: [
      {label: fill(L.at_plan, {n: plan.per_day}), data: plan.plan, borderColor: css("--ok"), pointRadius: 0},
      {label: fill(L.at_current, {n: plan.current_per_day}), data: plan.current, borderColor: css("--accent"),
       pointRadius: 0},
      {label: L.all, data: plan.days.map(() => plan.total), borderColor: css("--muted"), borderDash: [6, 4],
       pointRadius: 0}]},
    options: {...base, scales: {y: {beginAtZero: true, ticks: {precision: 0}}},
      plugins: {legend: {position: "bottom"}, title: chartAxisName(L.cards)}}});
  }

  function draw() {
    Chart.defaults.color = css("--muted") || "#666";
    Chart.defaults.borderColor = css("--border") || "#ddd";
    seenByDay();
    readiness();
  }

  if (window.Chart) draw();
  else window.addEventListener("load", draw);
})();
