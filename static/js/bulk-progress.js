/* Request in bulk (R25): keep "N of M sent" current without reloading.
   Progressive enhancement only: the page is right on every reload without it. */
(function () {
  "use strict";

  var root = document.querySelector("[data-bulk-progress]");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-status-url");
  var bar = root.querySelector("[data-bulk-bar]");
  var sentText = root.querySelector("[data-bulk-sent]");
  var failedBox = root.querySelector("[data-bulk-failed]");
  var failedText = failedBox && failedBox.querySelector(".badge");
  var announce = root.querySelector("[data-bulk-announce]");
  var running = root.querySelector("[data-bulk-running]");
  var finished = root.querySelector("[data-bulk-finished]");
  var INTERVAL = 1000;
  // A screen reader hears the count at most this often, and once when done:
  // a polite region that changed every second would talk without a pause.
  var ANNOUNCE_EVERY = 10000;
  var lastAnnounced = 0;

  var fill = function (template, data) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return name in data ? String(data[name]) : match;
    });
  };

  var show = function (data) {
    bar.max = data.total;
    bar.value = data.sent;
    sentText.textContent = fill(root.getAttribute("data-sent-text"), data);
    if (failedBox) {
      failedBox.hidden = !data.failed;
      if (failedText) failedText.textContent = fill(root.getAttribute("data-failed-text"), data);
    }
    if (running) running.hidden = data.done;
    if (finished) finished.hidden = !data.done;
    var now = Date.now();
    if (data.done) {
      announce.textContent = fill(root.getAttribute("data-done-text"), data);
    } else if (now - lastAnnounced >= ANNOUNCE_EVERY) {
      announce.textContent = sentText.textContent;
      lastAnnounced = now;
    }
  };

  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.done) window.setTimeout(poll, INTERVAL);
      })
      .catch(function () {
        // A passing network error: try again a little later; reloading works too.
        window.setTimeout(poll, INTERVAL * 5);
      });
  };

  if (finished && !finished.hidden) return;
  lastAnnounced = Date.now();
  window.setTimeout(poll, INTERVAL);
})();
