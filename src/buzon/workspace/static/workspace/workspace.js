// Buzón workspace: keyboard shortcuts, popover placement, composer mode.
// Everything works without this file; it only makes the pages faster to use.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Place a native popover next to the button that opened it, and keep aria-expanded true.
  document.addEventListener("toggle", function (event) {
    var pop = event.target;
    if (!pop.matches || !pop.matches("[popover]")) return;
    var open = event.newState === "open";
    document.querySelectorAll('[popovertarget="' + pop.id + '"]:not([popovertargetaction="hide"])').forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var box = button.getBoundingClientRect();
        var width = pop.offsetWidth, height = pop.offsetHeight;
        var left = Math.min(Math.max(8, box.left - 12), window.innerWidth - width - 8);
        var top = box.bottom + 6;
        if (top + height > window.innerHeight - 8) top = Math.max(8, box.top - height - 6);
        pop.style.left = left + "px";
        pop.style.top = top + "px";
      }
    });
    if (open) {
      var first = pop.querySelector("a, button");
      if (first) first.focus({ preventScroll: true });
    }
  }, true);

  // Composer: the colour and the "To" line follow the public/internal choice.
  function syncComposer(form) {
    var internal = form.querySelector('input[name="visibility"][value="internal"]');
    form.classList.toggle("internal", !!(internal && internal.checked));
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.composer");
    if (form) syncComposer(form);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest && event.target.closest("form.composer, form.new-ticket")) {
      event.preventDefault();
      event.target.closest("form").requestSubmit();
    }
  });

  // The conversation / events toggle: mark the chosen one pressed (htmx swaps the log).
  document.addEventListener("click", function (event) {
    var chosen = event.target.closest && event.target.closest(".log-toggle [data-log]");
    if (!chosen) return;
    document.querySelectorAll(".log-toggle [data-log]").forEach(function (a) {
      a.setAttribute("aria-current", a === chosen ? "true" : "false");
    });
  });

  // The ticket page's live check says which log is shown, so that a change re-renders it.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "ticket-live") return;
    var log = document.getElementById("log");
    if (log && log.classList.contains("events-log")) event.detail.parameters.log = "events";
  });

  // Keyboard shortcuts.
  var pendingG = false, pendingTimer = null;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.tickets tbody tr")); }
  function move(step) {
    var all = rows(); if (!all.length) return;
    var index = all.findIndex(function (r) { return r.classList.contains("selected"); });
    if (index >= 0) all[index].classList.remove("selected");
    index = Math.min(all.length - 1, Math.max(0, index + step));
    all[index].classList.add("selected");
    var link = all[index].querySelector("a"); if (link) link.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false; clearTimeout(pendingTimer);
      var target = { v: "g v", h: "g h", c: "g c" }[key];
      var link = target && document.querySelector('[data-shortcut="' + target + '"]');
      if (link) { event.preventDefault(); link.click(); }
      return;
    }
    if (key === "/") { var box = document.getElementById("search-box"); if (box) { event.preventDefault(); box.focus(); box.select(); } }
    else if (key === "g") { pendingG = true; pendingTimer = setTimeout(function () { pendingG = false; }, 1200); }
    else if (key === "j") { event.preventDefault(); move(1); }
    else if (key === "k") { event.preventDefault(); move(-1); }
    else if (key === "n") { var create = document.querySelector('[data-shortcut="n"]'); if (create) { event.preventDefault(); create.click(); } }
    else if (key === "r") { var body = document.getElementById("id_body"); if (body) { event.preventDefault(); body.focus(); } }
    else if (key === "e") { var toggle = document.querySelector('.log-toggle [aria-current="false"]'); if (toggle) { event.preventDefault(); toggle.click(); } }
    else if (key === "?") { var help = document.getElementById("shortcuts"); if (help && help.showModal) { event.preventDefault(); help.showModal(); } }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.composer").forEach(syncComposer);
  });
})();
