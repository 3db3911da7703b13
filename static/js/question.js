// The question page's language tabs: show the answer in the chosen language, mark its tab.
(function () {
  "use strict";
  const tabs = document.querySelectorAll("[data-show-lang]");
  tabs.forEach((button) => button.addEventListener("click", () => {
    document.querySelectorAll("article[data-lang]").forEach((a) => { a.hidden = a.dataset.lang !== button.dataset.showLang; });
    tabs.forEach((tab) => {
      tab.classList.toggle("active", tab === button);
      tab.setAttribute("aria-selected", String(tab === button));
    });
  }));
})();
