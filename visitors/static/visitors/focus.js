// After htmx swaps in the answer to a form (a sign-in, a sign-out), the button that was
// pressed may be gone: keyboard and screen-reader users are taken to what the answer says,
// the first field with an error or else the notice (a live region, which announces it too).
// Searching and paging swap without moving focus, so typing in the search box goes on.
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.requestConfig?.verb !== "post") {
    return;
  }
  const target =
    document.querySelector('[aria-invalid="true"]') || document.getElementById("notice");
  target?.focus();
});
