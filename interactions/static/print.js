// The recovery codes page's Print button (no inline script: the pages' CSP forbids it).
document.querySelectorAll('[data-print]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
