// Five sample cards for a visitor: Space shows the answer, 1–4 (or Space for Good) go to the next
// card, as in a study session; nothing is sent anywhere.
(function () {
  "use strict";
  const root = document.querySelector("[data-try]");
  if (!root) return;
  const {pageData, fill, renderMath} = window.QuizApp;
  const T = pageData("try-strings");
  const cards = [...root.querySelectorAll("[data-try-card]")];
  const $ = (selector) => root.querySelector(selector);
  let index = -1;
  let revealed = false;

  function show(next) {
    cards.forEach((card) => { card.hidden = true; });
    index = next;
    revealed = false;
    const done = index >= cards.length;
    $(".done").hidden = !done;
    $(".study-actions").hidden = done;
    $(".try-position").textContent = done ? "" : fill(T.position, {n: index + 1, total: cards.length});
    if (done) return;
    cards[index].hidden = false;
    $(".show-answer").hidden = false;
    $(".ratings").hidden = true;
  }

  function reveal() {
    if (revealed || index >= cards.length) return;
    revealed = true;
    const card = cards[index];
    card.querySelector(".key-points").hidden = false;
    const answer = card.querySelector(".answer");
    answer.hidden = false;
    renderMath(answer);
    $(".show-answer").hidden = true;
    $(".ratings").hidden = false;
  }

  const rate = () => { if (revealed) show(index + 1); };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (event.target.closest("input, textarea, select, button, a, dialog")) return;
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      if (revealed) rate();
      else reveal();
    } else if (["1", "2", "3", "4"].includes(event.key)) {
      rate();
    }
  });
  $(".show-answer").addEventListener("click", reveal);
  root.querySelectorAll(".rate").forEach((button) => button.addEventListener("click", rate));
  show(0);
})();
