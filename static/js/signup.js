// Sign-up: send the browser's time zone, so that the study day starts at the learner's own hour.
(function () {
  "use strict";
  const field = document.querySelector("input[name=timezone]");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (field && zone) field.value = zone;
})();
