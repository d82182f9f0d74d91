// Portico: the idle countdown with its "extend" button, and confirmations
// before destructive actions. Every page also works without this script.
(function () {
  "use strict";
  var timer = document.getElementById("idle");
  if (timer) {
    var left = parseInt(timer.getAttribute("data-remaining"), 10) || 0;
    var deadline = Date.now() + left * 1000;
    var show = function () {
      var s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      if (s === 0) { window.location.href = "/login?expired=1"; return; }
      window.setTimeout(show, 1000);
    };
    show();
    var form = document.querySelector("form[data-extend]");
    if (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
        fetch("/session/extend", { method: "POST", headers: { "X-CSRF-Token": token }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
          .then(function (j) { deadline = Date.now() + j.remaining * 1000; })
          .catch(function () { window.location.href = "/login?expired=1"; });
      });
    }
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // 004 §參: the unit is picked under the 府內單位 / 府外機關 / 區公所 tabs.
  // Without the script the tabs stay hidden and the list shows every group.
  document.querySelectorAll("[data-unit-tabs]").forEach(function (tabs) {
    var select = document.getElementById("unit");
    if (!select) { return; }
    tabs.hidden = false;
    tabs.addEventListener("change", function (ev) {
      var want = ev.target.value;
      select.querySelectorAll("optgroup").forEach(function (g) {
        var show = !want || g.label.indexOf(want) === 0;
        g.hidden = !show;
        g.disabled = !show;
      });
      var chosen = select.options[select.selectedIndex];
      if (chosen && chosen.parentNode.disabled) { select.value = ""; }
    });
  });
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (ev) { ev.preventDefault(); history.back(); });
  });
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
