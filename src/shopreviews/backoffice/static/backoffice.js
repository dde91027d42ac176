// Small improvements over plain forms: every page works without this file.
"use strict";

// A checkbox with data-select-all="NAME" checks or clears every checkbox named NAME of its form,
// including those placed elsewhere on the page with form="..." (form.elements holds both).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll || !box.form) return;
  for (const item of box.form.elements) {
    if (item.type === "checkbox" && item.name === box.dataset.selectAll) item.checked = box.checked;
  }
});

// A button with data-confirm="question" asks before its form is sent.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
