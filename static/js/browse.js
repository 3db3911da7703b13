// The card browser (templates/study/browse.html): before a bulk action, say how many cards it is for
// and ask; the form itself (a plain POST) does the rest, so sorting, filtering and paging are links.
(function () {
  "use strict";
  const form = document.getElementById("browse-form");
  if (!form) return;
  const words = window.QuizApp.pageData("browse-strings");
  form.addEventListener("submit", (event) => {
    const matching = event.submitter && event.submitter.value === "matching";
    const count = matching ? Number(form.dataset.total)
      : form.querySelectorAll('input[type=checkbox][name="card"]:checked').length;
    if (count === 0) {
      event.preventDefault();
      window.alert(words.none_ticked);
      return;
    }
    const action = form.elements.action.value;
    const question = window.QuizApp.fill(words[action], {n: count, days: form.elements.days.value});
    if (!window.confirm(question)) event.preventDefault();
  });
})();
