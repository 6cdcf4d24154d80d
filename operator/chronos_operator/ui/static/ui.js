// The web UI's only script (no build step). Every page works without it; it adds:
//  - live updates: one EventSource on /ui/events; each event lists changed job rows, whose
//    [data-field] cells are updated in place (the browser reconnects by itself);
//  - times in the browser's zone when the page was asked for tz=browser;
//  - the CSRF header on htmx requests.
(function () {
  "use strict";
  var body = document.body;

  function localTimes(root) {
    if (body.dataset.tz !== "browser") return;
    var fmt = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) { t.textContent = fmt.format(d); }
    });
  }

  function setTime(cell, text, iso) {
    cell.innerHTML = "";
    if (!iso) return;
    var t = document.createElement("time");
    t.setAttribute("datetime", iso);
    t.textContent = text;
    cell.appendChild(t);
  }

  function apply(update) {
    document.querySelectorAll('[data-key="' + CSS.escape(update.key) + '"]').forEach(function (row) {
      if (update.removed) { row.classList.add("removed"); return; }
      row.querySelectorAll("[data-field]").forEach(function (cell) {
        var f = cell.dataset.field, before = cell.textContent;
        if (f === "status") {
          cell.textContent = update.status;
          cell.className = "status st-" + update.status;
        } else if (f === "next_run" || f === "last_success" || f === "last_error") {
          setTime(cell, update[f], update[f + "_iso"]);
        } else if (f in update) {
          cell.textContent = String(update[f]);
        }
        if (cell.textContent !== before) {
          cell.classList.remove("live-flash"); void cell.offsetWidth; cell.classList.add("live-flash");
        }
      });
      localTimes(row);
    });
  }

  localTimes(document);
  if (body.dataset.live && window.EventSource) {
    var source = new EventSource(body.dataset.live);
    source.addEventListener("rows", function (e) {
      JSON.parse(e.data).forEach(apply);
    });
    window.chronosEvents = source;
  }
  document.body.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = body.dataset.csrf;
  });
  document.body.addEventListener("htmx:afterSwap", function (e) { localTimes(e.target); });
})();
