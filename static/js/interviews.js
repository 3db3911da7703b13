// Mock interviews: countdowns derived from the server's deadlines, autosave, live review scores,
// the history trend chart. The server stays the clock: this file only shows it and reacts to it.
(function () {
  "use strict";
  const {request, pageData, formatClockTime, chartAxisName} = window.QuizApp;

  function clockText(seconds) {
    const whole = Math.max(0, Math.ceil(seconds));
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const rest = String(whole % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
  }

  // Typing a number next to a clock choice picks that choice.
  function setUpTimingRows() {
    document.querySelectorAll(".timing-row").forEach((row) => {
      row.querySelector("input[type=number]")?.addEventListener("input", () => {
        row.querySelector("input[type=radio]").checked = true;
      });
    });
  }

  function setUpAnswerPage(section) {
    const data = section.dataset;
    const T = pageData("answer-strings");
    // The page was rendered at the server's `now`: measure deadlines against the server's clock.
    const offset = Date.parse(data.serverTime) - Date.now();
    const serverNow = () => Date.now() + offset;
    const deadlines = {question: Date.parse(data.deadline), interview: Date.parse(data.interviewDeadline)};
    const warnSeconds = Number(data.warnSeconds);
    const form = section.querySelector(".answer-form");
    const textarea = form.querySelector("textarea");
    const nextButton = form.querySelector(".next-button");
    const status = section.querySelector(".autosave");
    const warning = section.querySelector(".clock-warning");
    // What the server has: the text the page came with (defaultValue). Words typed into the autofocused box
    // before this script ran are not on the server yet, and the next autosave sends them.
    let savedText = textarea.defaultValue;
    let saving = null;
    let stopped = false;
    // Opened (or reloaded) already inside the warning window: the clocks turn red, no new warning.
    let warned = (Math.min(deadlines.question, deadlines.interview) - serverNow()) / 1000 <= warnSeconds;
    let movingOn = false;

    function save({keepalive = false} = {}) {
      const text = textarea.value;
      if (stopped || text === savedText) return Promise.resolve();
      status.textContent = T.saving;
      saving = request(data.autosaveUrl, {
        method: "PATCH", keepalive,
        body: {question: data.question, follow_up: data.followUp === "1", answer: text, action: "save"},
      }).then((response) => {
        if (response.ok) {
          savedText = text;
          status.textContent = `${T.saved} ${formatClockTime(new Date())}`;
        } else if (response.status === 409 || response.status === 400 || response.status === 404) {
          stopped = true;  // moved on elsewhere (another tab): saving here again would only fail
          status.textContent = response.data?.detail || T.failed;
        } else {
          status.textContent = T.failed;
        }
      }).catch(() => { status.textContent = T.failed; });
      return saving;
    }

    function moveOn() {
      if (movingOn) return;
      movingOn = true;
      warning.textContent = T.time_up;
      form.requestSubmit(nextButton);
    }

    function tick() {
      const now = serverNow();
      let lowest = Infinity;
      for (const [name, deadline] of Object.entries(deadlines)) {
        const left = (deadline - now) / 1000;
        lowest = Math.min(lowest, left);
        const clock = section.querySelector(`[data-clock=${name}]`);
        clock.querySelector(".time").textContent = clockText(left);
        clock.classList.toggle("warning", left <= warnSeconds);
      }
      if (lowest <= warnSeconds && !warned) {
        warned = true;
        warning.textContent = T.warning;
      }
      if (lowest <= 0) moveOn();
    }

    let debounce = null;
    textarea.addEventListener("input", () => {
      clearTimeout(debounce);
      debounce = setTimeout(save, 1500);
    });
    textarea.addEventListener("blur", () => save());
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit(nextButton);
      }
    });
    form.addEventListener("submit", () => { movingOn = true; stopped = true; clearTimeout(debounce); });
    // Ending early closes this question on the server: the latest typing must land before that.
    const endForm = section.querySelector(".end-button")?.form;
    endForm?.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearTimeout(debounce);
      await save();
      stopped = true;
      endForm.submit();
    }, {once: true});
    window.addEventListener("pagehide", () => save({keepalive: true}));
    setInterval(save, 5000);
    setInterval(tick, 250);
    tick();
    // Keyboard first: the caret waits at the end of the (possibly restored) answer.
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  function setUpReview(form) {
    const lateFactor = Number(form.dataset.lateFactor);
    const passScore = Number(form.dataset.passScore);
    const credits = {missed: 0, partly: 0.5, fully: 1};
    const items = Array.from(form.querySelectorAll(".review-item"));

    // The mean credit of the key points, as the server scores it (scoring.item_score).
    function itemScore(item) {
      const points = Number(item.dataset.points);
      if (item.dataset.blank === "1" || !points) return 0;
      const chosen = Array.from(item.querySelectorAll("input[name^='point-']:checked"));
      const sum = chosen.reduce((total, input) => total + credits[input.value], 0);
      return (sum / points) * (item.dataset.late === "1" ? lateFactor : 1);
    }

    // The overall score weighs a follow-up as the server does (scoring.interview_score).
    function update() {
      let total = 0;
      let weights = 0;
      items.forEach((item) => {
        const score = itemScore(item);
        const weight = Number(item.dataset.weight);
        total += score * weight;
        weights += weight;
        const output = item.querySelector(".item-score output");
        if (output) output.textContent = `${Math.round(score * 100)}%`;
        const verdict = item.querySelector(".verdict");
        if (verdict) {
          verdict.querySelector(".derived-verdict").textContent =
            score >= passScore ? verdict.dataset.passText : verdict.dataset.failText;
        }
      });
      form.querySelector(".overall-score").textContent = `${Math.round((total / Math.max(1, weights)) * 100)}%`;
    }

    form.addEventListener("change", update);
    update();
  }

  function setUpTrend(canvas) {
    const trend = pageData("interview-trend-data");
    const T = pageData("trend-strings");
    const style = getComputedStyle(document.documentElement);
    // Text and grid in the theme's colours: Chart.js's own grey is meant for a white page.
    window.Chart.defaults.color = style.getPropertyValue("--muted").trim();
    window.Chart.defaults.borderColor = style.getPropertyValue("--border").trim();
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: "line",
      data: {labels: trend.labels, datasets: [{label: T.score, data: trend.scores, tension: 0.2,
        borderColor: style.getPropertyValue("--accent").trim(), pointRadius: 4},
      // Each topic's own line, dashed, with gaps where an interview did not ask it.
      ...trend.topics.map((topic) => ({label: topic.name, data: topic.scores, spanGaps: true, borderDash: [4, 3],
        borderWidth: 1, pointRadius: 2}))]},
      options: {animation: false, maintainAspectRatio: false, scales: {y: {min: 0, max: 100}},
        plugins: {legend: {display: trend.topics.length > 0},  // the overall line is named by the title
                  title: chartAxisName(T.score)}},
    });
  }
  setUpTimingRows();
  const answerSection = document.querySelector("[data-interview-answer]");
  if (answerSection) setUpAnswerPage(answerSection);
  const reviewForm = document.querySelector("[data-interview-review]");
  if (reviewForm) setUpReview(reviewForm);
  const trendCanvas = document.querySelector("[data-interview-trend]");
  if (trendCanvas && window.Chart) setUpTrend(trendCanvas);
})();
