/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  // Customer cards (R11): the down arrow expands and collapses the card body.
  // A collapsed card's body is fetched from the server the first time it opens;
  // if that fails, the name's link (the customer's full page) takes over.
  document.querySelectorAll("[data-card]").forEach(function (card) {
    var toggle = card.querySelector("[data-card-toggle]");
    var body = card.querySelector("[data-card-body]");
    var link = card.querySelector("[data-card-link]");
    // In the Customers table the body sits in a row of its own under the customer's.
    var row = card.querySelector("[data-card-row]");
    if (!toggle || !body) return;
    toggle.hidden = false;
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      body.hidden = !open;
      if (row) row.hidden = !open;
      card.classList.toggle("card--open", open);
    };
    setOpen(toggle.getAttribute("aria-expanded") === "true");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      var src = body.getAttribute("data-card-src");
      if (open || !src) { setOpen(!open); return; }
      body.setAttribute("aria-busy", "true");
      setOpen(true);
      fetch(src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          body.innerHTML = html;
          body.removeAttribute("data-card-src");
          body.removeAttribute("aria-busy");
        })
        .catch(function () {
          body.removeAttribute("aria-busy");
          if (link) window.location.assign(link.href);
        });
    });
  });

  // Filters, sorts and page sizes apply as soon as they change; without JavaScript
  // their form's button does it. A button only for such a form is then hidden.
  // A choice made with the mouse (or confirmed with Enter) applies at once; one
  // made by arrowing through a closed select waits for Enter or for focus to
  // leave, so moving through the options does not reload the page each time
  // (WCAG 3.2.2).
  document.querySelectorAll("select[data-autosubmit], [data-autosubmit] select").forEach(function (select) {
    var lastKey = null;
    var pending = false;
    var submit = function () {
      pending = false;
      if (select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
    };
    select.addEventListener("keydown", function (event) {
      lastKey = event.key;
      if (event.key === "Enter" && pending) {
        event.preventDefault();
        submit();
      }
    });
    select.addEventListener("pointerdown", function () { lastKey = null; });
    select.addEventListener("change", function () {
      if (lastKey === null || lastKey === "Enter") submit();
      else pending = true;
    });
    select.addEventListener("blur", function () { if (pending) submit(); });
  });
  document.querySelectorAll("[data-autosubmit-button]").forEach(function (button) {
    button.hidden = true;
  });

  // Email draft (R6): keep "Open in email" in step with edits; copy to clipboard.
  var draft = document.querySelector("[data-draft-form]");
  if (draft) {
    var subject = draft.querySelector("[name=subject]");
    var body = draft.querySelector("[name=body]");
    var mailto = draft.querySelector("[data-mailto]");
    var copyButton = draft.querySelector("[data-copy]");
    var status = draft.querySelector("[data-copy-status]");
    // "mailto:…?subject=%7Bsubject%7D&body=%7Bbody%7D", made by the server.
    var template = draft.getAttribute("data-mailto-template") || "";
    var fallback = document.querySelector("[data-copy-source]");

    var currentText = function () {
      return subject.value + "\n\n" + body.value;
    };
    var sync = function () {
      mailto.href = template
        .replace("%7Bsubject%7D", encodeURIComponent(subject.value))
        .replace("%7Bbody%7D", encodeURIComponent(body.value));
      if (fallback) fallback.value = currentText();
      if (status) status.textContent = "";
    };
    subject.addEventListener("input", sync);
    body.addEventListener("input", sync);

    if (copyButton && navigator.clipboard) {
      copyButton.hidden = false;
      // The read-only copy of the text is for pages without JavaScript.
      var fallbackBlock = document.querySelector("[data-copy-fallback]");
      if (fallbackBlock) fallbackBlock.hidden = true;
      copyButton.addEventListener("click", function () {
        navigator.clipboard.writeText(currentText()).then(function () {
          status.textContent = copyButton.getAttribute("data-copied") || "Copied";
        }, function () {
          status.textContent = copyButton.getAttribute("data-copy-failed") || "";
          if (fallback) { fallback.focus(); fallback.select(); }
        });
      });
    }
  }
})();
