// Every back-office page: what used to be inline handlers and htmx filters, which the
// Content-Security-Policy (antrean/web/security.py) refuses (no inline code, no eval).
// Listening on the document also covers the parts htmx swaps in.
//  - <select data-submit-on-change>: choosing sends its form (the office switch).
//  - <button data-print>: prints the page (the queue ticket).
//  - hx-trigger="every ..." data-poll-unless="SELECTOR": the poll is skipped while the page
//    holds SELECTOR (the counter stays put while someone is being served).
(function () {
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-submit-on-change]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var unless = event.detail.elt.getAttribute("data-poll-unless");
    if (unless && document.querySelector(unless)) event.preventDefault();
  });
})();
