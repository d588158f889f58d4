// The proof page's "print" button (a static file: the Content-Security-Policy allows no
// inline script).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
