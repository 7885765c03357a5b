// Roster console: progressive enhancement only — every page works without this file.
// Forms marked data-confirm ask before they submit (removing a member, for instance).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
