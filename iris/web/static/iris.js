// iris: progressive enhancement. Every form and link works without this script; with it, the forms marked
// data-swap (moves, comments, edits) and the "more" links of board columns update the page in place.
// The server answers such a request (X-Iris-Partial: 1) with the part of the page to put in place.
(function () {
  "use strict";
  var PARTIAL = { "X-Iris-Partial": "1" };

  function announce(text) {
    var live = document.getElementById("live");
    if (live) { live.textContent = text; }
  }

  function follow(response) {
    var target = response.headers.get("X-Iris-Redirect");
    if (target) { window.location.assign(target); return true; }
    return false;
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;  // the server's own escaped HTML; a template's scripts never run
    return template.content;
  }

  function showWhole(html) {
    // An answer that is not a part of this page (an error page: 403, 404, 429, 503): show it whole, as the
    // browser would have. Never post again: the server may have done what was asked.
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.body.replaceWith(document.importNode(page.body, true));
  }

  function swap(form) {
    var target = document.getElementById(form.getAttribute("data-swap"));
    var body = new URLSearchParams(new FormData(form));
    form.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: body, headers: PARTIAL, credentials: "same-origin" })
      .then(function (response) {
        if (follow(response)) { return; }
        return response.text().then(function (html) {
          var fresh = parse(html).getElementById(target.id);
          if (!fresh) { showWhole(html); return; }
          target.replaceWith(fresh);
          var focus = fresh.querySelector("[data-focus]") || fresh;
          if (focus.tabIndex < 0 && !focus.hasAttribute("tabindex")) { focus.setAttribute("tabindex", "-1"); }
          focus.focus();
          announce(fresh.getAttribute("data-announce") || "Updated");
        });
      })
      .catch(function () {
        // The network failed: say so, and leave what was typed in place to send again (the form's own
        // key makes a comment sent twice land once).
        announce("Not sent: the connection failed. Try again.");
        window.alert("Not sent: the connection failed. Try again.");
      })
      .finally(function () { form.removeAttribute("aria-busy"); });
  }

  function more(link) {
    var list = document.getElementById(link.getAttribute("data-more"));
    fetch(link.href, { headers: PARTIAL, credentials: "same-origin" })
      .then(function (response) {
        if (follow(response)) { return; }
        if (!response.ok) { window.location.assign(link.href); return; }  // the page says what went wrong
        return response.text().then(function (html) {
          var part = parse(html);
          var cards = part.querySelectorAll("li.card");
          cards.forEach(function (card) { list.appendChild(card); });
          var next = part.querySelector("a.more");
          if (next) { link.replaceWith(next); } else { link.remove(); }
          if (cards.length) { cards[0].querySelector("a").focus(); }
          announce(cards.length + " more tickets shown");
        });
      })
      .catch(function () { window.location.assign(link.href); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-swap") && window.fetch) {
      event.preventDefault();
      if (form.hasAttribute("aria-busy")) { return; }  // a double click sends once
      var button = event.submitter;
      if (button && button.name) {  // the button pressed is part of the form's data (which move)
        var chosen = form.querySelector("input[data-submitter]") || document.createElement("input");
        chosen.type = "hidden"; chosen.name = button.name; chosen.value = button.value;
        chosen.setAttribute("data-submitter", "");
        form.appendChild(chosen);
      }
      swap(form);
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-more]");
    if (link && window.fetch) { event.preventDefault(); more(link); }
  });
})();
