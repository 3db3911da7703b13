// Site-wide behaviour: theme toggle, phone menu, KaTeX rendering of answer math.
(function () {
  "use strict";
  const root = document.documentElement;
  const order = ["auto", "light", "dark"];

  document.querySelector(".theme-toggle")?.addEventListener("click", () => {
    const next = order[(order.indexOf(root.dataset.theme) + 1) % order.length];
    root.dataset.theme = next;
    localStorage.setItem("theme", next);
  });

  const menuButton = document.querySelector(".menu-toggle");
  menuButton?.addEventListener("click", () => {
    const nav = document.getElementById("main-nav");
    const open = nav.classList.toggle("open");
    menuButton.setAttribute("aria-expanded", String(open));
  });

  // Math from Markdown arrives as <span class="math inline"> / <div class="math display">.
  window.renderMath = function (scope) {
    if (!window.katex) return;
    (scope || document).querySelectorAll(".math:not([data-rendered])").forEach((node) => {
      try {
        katex.render(node.textContent, node, {displayMode: node.classList.contains("display"), throwOnError: false});
        node.dataset.rendered = "1";
      } catch (error) {
        console.warn("KaTeX", error);
      }
    });
  };
  window.renderMath(document);
  document.body.addEventListener("htmx:afterSwap", (event) => window.renderMath(event.target));
})();
