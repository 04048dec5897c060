// Buzón: the requester field of the new-ticket page offers the people whose name or
// address matches what is typed (a native <datalist>: keyboard and screen readers
// work as with any input). Without this file the field takes an address as typed.
(function () {
  "use strict";

  var timers = new WeakMap();

  function fill(input, people) {
    var list = document.getElementById(input.getAttribute("list") || "");
    if (!list) return;
    list.replaceChildren();
    people.forEach(function (person) {
      var option = document.createElement("option");
      option.value = person.email;
      option.label = person.name + " <" + person.email + ">";
      list.appendChild(option);
    });
  }

  function lookUp(input) {
    var typed = input.value.trim();
    if (typed.length < 2) { fill(input, []); return; }
    var url = input.dataset.peopleLookup + "?q=" + encodeURIComponent(typed);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { people: [] }; })
      .then(function (answer) { if (input.value.trim() === typed) fill(input, answer.people || []); })
      .catch(function () {});
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-people-lookup]")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { lookUp(input); }, 200));
  });
})();
