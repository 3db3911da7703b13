// Site-wide behaviour: theme toggle, phone menu, KaTeX rendering of answer math, clock times; and the
// helpers page scripts share, added to window.QuizApp (api.js).
(function () {
  "use strict";
  const root = document.documentElement;
  const order = ["auto", "light", "dark"];

  const themeState = document.getElementById("theme-state");
  const describeTheme = () => { if (themeState) themeState.textContent = themeState.dataset[root.dataset.theme]; };
  describeTheme();
  document.querySelector(".theme-toggle")?.addEventListener("click", () => {
    const next = order[(order.indexOf(root.dataset.theme) + 1) % order.length];
    root.dataset.theme = next;
    localStorage.setItem("theme", next);
    describeTheme();
  });

  // An address that names a folded section (My cards' /questions/mine/#import) unfolds it.
  const unfoldTarget = () => {
    const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    target?.closest("details")?.setAttribute("open", "");
  };
  unfoldTarget();
  window.addEventListener("hashchange", unfoldTarget);

  const menuButton = document.querySelector(".menu-toggle");
  menuButton?.addEventListener("click", () => {
    const nav = document.getElementById("main-nav");
    const open = nav.classList.toggle("open");
    menuButton.setAttribute("aria-expanded", String(open));
  });

  // A box that scrolls sideways (a wide formula, table or code block on a phone) is marked: its edges
  // shade as a hint that there is more, and it takes the focus so the keyboard can scroll it too. Watched
  // for size changes, since an answer is laid out only once shown and a phone may turn.
  const SCROLL_BOXES = ".katex-display, .table-scroll, pre, .calendar-scroll";
  const scrollBoxes = new ResizeObserver((entries) => entries.forEach(({target}) => {
    const scrolls = target.scrollWidth > target.clientWidth + 1;
    target.classList.toggle("scrolls", scrolls);
    if (scrolls) target.tabIndex = 0;
    else target.removeAttribute("tabindex");
  }));
  function watchScrollBoxes(scope) {
    (scope || document).querySelectorAll(SCROLL_BOXES).forEach((box) => scrollBoxes.observe(box));
  }

  // Math from Markdown arrives as <span class="math inline"> / <div class="math display">. KaTeX is loaded
  // by the pages that may show math (templates/_math.html); elsewhere there is none to typeset.
  function renderMath(scope) {
    if (!window.katex) return;
    (scope || document).querySelectorAll(".math:not([data-rendered])").forEach((node) => {
      try {
        katex.render(node.textContent, node, {displayMode: node.classList.contains("display"), throwOnError: false});
        node.dataset.rendered = "1";
      } catch (error) {
        console.warn("KaTeX", error);
      }
    });
    watchScrollBoxes(scope);
  }

  // A question is plain text. $…$ in it (a learner's own card) is typeset, by pandoc's rule for what
  // is math: no space just inside the dollars and no digit right after the closing one, so that
  // "costs $5 and $6" stays money. The text goes in as text nodes: nothing in it is read as HTML.
  const INLINE_MATH = /(^|[^\\])\$(?=\S)((?:[^$\\]|\\.)*?\S)\$(?!\d)/g;
  function setTextWithMath(node, text) {
    node.replaceChildren();
    let last = 0;
    for (const match of text.matchAll(INLINE_MATH)) {
      const start = match.index + match[1].length;
      const math = document.createElement("span");
      math.className = "math inline";
      math.textContent = match[2];
      node.append(text.slice(last, start), math);
      last = match.index + match[0].length;
    }
    node.append(text.slice(last));
    renderMath(node);
  }
  // A refusal shown in place of the page's usual top (a failed import) takes the focus: read first.
  document.querySelector('[role="alert"][tabindex="-1"]')?.focus();
  document.querySelectorAll("[data-text-math]").forEach((node) => {
    // The words a search found are marked (<mark>): they stay unless the text holds math to typeset.
    if (node.querySelector("mark") && !node.textContent.match(INLINE_MATH)) return;
    setTextWithMath(node, node.textContent);
  });
  // Times written in the learner's time zone name it where it is not the browser's own.
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("[data-learner-zone]").forEach((node) => {
    node.hidden = node.dataset.learnerZone === browserZone;
  });
  // A time of day on the browser's clock, in the page's language (not the browser's), 24-hour.
  const formatClockTime = (date, {seconds = true} = {}) => date.toLocaleTimeString(document.documentElement.lang,
    {hour: "2-digit", minute: "2-digit", ...(seconds && {second: "2-digit"}), hourCycle: "h23"});
  // Times the server wrote (in UTC) shown on the same clock as those the page writes later.
  document.querySelectorAll("time[data-clock-time]").forEach((node) => {
    node.textContent = formatClockTime(new Date(node.dateTime));
  });
  // A chart's y-axis name, as Chart.js title (or subtitle) options: level above the plot, where
  // Chart.js would turn an axis title on its side, and Chinese with it.
  const chartAxisName = (text) => ({display: Boolean(text), text, align: "start", font: {weight: "normal"},
                                     padding: {bottom: 8}});  // clear of the top tick's label
  // A "select all" box ticks or clears the boxes of its form named by data-select-all.
  document.querySelectorAll("[data-select-all]").forEach((all) => all.addEventListener("change", () => {
    all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`)
      .forEach((box) => (box.checked = all.checked));
  }));
  renderMath(document);
  watchScrollBoxes(document);
  Object.assign(window.QuizApp, {renderMath, setTextWithMath, formatClockTime, chartAxisName});
})();
