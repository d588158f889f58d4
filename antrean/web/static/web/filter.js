// Narrow the office list as the visitor types. Without this script the whole list, grouped
// by province, still works; with it, a long list becomes a short one.
document.querySelectorAll("input[data-filter]").forEach((input) => {
  const list = document.getElementById(input.dataset.filter);
  const none = document.getElementById("office-none");
  input.addEventListener("input", () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    list.querySelectorAll("[data-group]").forEach((group) => {
      let inGroup = 0;
      group.querySelectorAll("[data-item]").forEach((item) => {
        const match = words.every((word) => item.dataset.item.includes(word));
        item.hidden = !match;
        if (match) inGroup += 1;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    if (none) none.hidden = shown > 0;
  });
});
