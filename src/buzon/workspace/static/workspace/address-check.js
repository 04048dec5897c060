// Buzón: check an email address where an agent types it — a likely typo of the domain
// and whether the domain can receive mail at all (MX, null MX, does not exist) — and
// say so next to the field. Nothing here blocks a form: the answer is advice, arrives
// when it arrives, and the server bounds the lookup (BUZON_DNS_ENTRY_TIMEOUT).
//
// Markup (any page; the new-ticket page can reuse it as is):
//   <input type="email" data-address-check="{% url 'workspace:address_check' %}"
//          aria-describedby="ID-check">  <span id="ID-check" class="address-check"></span>
//     → checked as the agent types (after a pause) and on change;
//   <span class="address-check" data-address-check-show="ADDRESS"
//         data-endpoint="{% url 'workspace:address_check' %}"></span>
//     → an address already shown on the page, checked once when the page loads.
(function () {
  "use strict";

  var timers = new WeakMap();
  var LOOKS_LIKE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

  function ask(endpoint, address) {
    var url = endpoint + (endpoint.indexOf("?") < 0 ? "?" : "&") + "address=" + encodeURIComponent(address);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; });
  }

  function flag(text) {
    var span = document.createElement("span");
    span.className = "domain-flag";
    span.setAttribute("role", "alert");
    span.textContent = text;
    return span;
  }

  function show(box, answer, input) {
    box.replaceChildren();
    if (!answer) return;
    if (answer.suggestion && input) {
      var hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = answer.suggestion_message + " ";
      var use = document.createElement("button");
      use.type = "button";
      use.className = "small";
      use.textContent = answer.use_label;
      use.addEventListener("click", function () {
        input.value = answer.suggestion;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
      });
      hint.appendChild(use);
      box.appendChild(hint);
    }
    if (answer.can_receive === false && answer.message) box.appendChild(flag(answer.message));
    if (answer.undeliverable_message) box.appendChild(flag(answer.undeliverable_message));
  }

  function checkInput(input) {
    // aria-describedby may name several elements (a help text too): the box is the one
    // with the class address-check.
    var box = (input.getAttribute("aria-describedby") || "").split(/\s+/)
      .map(function (id) { return document.getElementById(id); })
      .filter(function (el) { return el && el.classList.contains("address-check"); })[0];
    if (!box) return;
    var address = input.value.trim();
    if (!LOOKS_LIKE.test(address)) { box.replaceChildren(); return; }
    box.setAttribute("aria-busy", "true");
    ask(input.dataset.addressCheck, address).then(function (answer) {
      box.removeAttribute("aria-busy");
      if (input.value.trim() === address) show(box, answer, input);
    });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-address-check]")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { checkInput(input); }, 600));
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-address-check]")) return;
    clearTimeout(timers.get(input));
    checkInput(input);
  });

  function checkShown() {
    document.querySelectorAll("[data-address-check-show]").forEach(function (box) {
      ask(box.dataset.endpoint, box.dataset.addressCheckShow).then(function (answer) {
        if (answer && answer.can_receive === false && answer.message) box.replaceChildren(flag(answer.message));
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", checkShown);
  else checkShown();
})();
