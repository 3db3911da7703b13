// Topic pickers (study settings, interview set-up): "all" and "none" buttons tick or clear the
// topics of the fieldset they sit in: the whole picker, or one group of it.
(function () {
  "use strict";
  document.querySelectorAll("[data-check-topics]").forEach((button) => {
    button.addEventListener("click", () => {
      const checked = button.dataset.checkTopics === "all";
      button.closest("fieldset").querySelectorAll("input[type=checkbox]").forEach((box) => { box.checked = checked; });
    });
  });
})();
