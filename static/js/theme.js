// Loaded blocking in <head>, before the first paint: the chosen theme applies at once, no flash of
// the other one. A file, not an inline script, so the Content-Security-Policy needs no exception.
document.documentElement.dataset.theme = localStorage.getItem("theme") || "auto";
