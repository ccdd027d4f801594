// Progressive enhancement: buttons with data-copy="<element id>" copy that element's text.
// Without JavaScript they stay hidden and the text is selected by a click (CSS user-select).
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    }, function () {
      button.textContent = "Copy failed: select the token and copy it";
    });
  });
});
