// Page script of rooms-lti.
//
// Inside an LMS iframe the browser may drop every cookie of the tool, so the
// launch session travels as a token: in the X-Launch-Token header of requests
// made here, and in the hidden launch_token field of forms. Links and forms
// inside the tool are loaded with fetch() so that they carry the header; the
// token never goes into a URL. Pages have no inline scripts: behaviour hangs
// on data attributes and the "rooms:load" event fired after every page swap.
(function () {
  "use strict";

  var RENEW_INTERVAL_MS = 5 * 60 * 1000;

  function metaContent(doc, name) {
    var element = doc.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : "";
  }

  var token = metaContent(document, "launch-token");
  var tokenHeader = metaContent(document, "launch-token-header") || "X-Launch-Token";

  function setToken(value) {
    if (!value) {
      return;
    }
    token = value;
    document.querySelectorAll('input[name="launch_token"]').forEach(function (input) {
      input.value = value;
    });
  }

  function isToolUrl(url) {
    return url.origin === window.location.origin;
  }

  function swapPage(html, responseUrl, push) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    ["launch-token", "csrf-token", "page-url", "renew-url"].forEach(function (name) {
      var incoming = doc.querySelector('meta[name="' + name + '"]');
      var current = document.querySelector('meta[name="' + name + '"]');
      if (current && incoming) {
        current.setAttribute("content", incoming.getAttribute("content"));
      } else if (current) {
        current.remove();
      } else if (incoming) {
        document.head.appendChild(incoming.cloneNode());
      }
    });
    document.body.replaceWith(document.adoptNode(doc.body));
    setToken(metaContent(document, "launch-token"));

    var pageUrl = metaContent(document, "page-url") || responseUrl;
    if (push) {
      history.pushState({ rooms: true }, "", pageUrl);
    } else {
      history.replaceState({ rooms: true }, "", pageUrl);
    }
    window.scrollTo(0, 0);
    var main = document.getElementById("main");
    if (main) {
      main.focus({ preventScroll: true });
    }
    document.dispatchEvent(new Event("rooms:load"));
  }

  function loadPage(url, options, push) {
    var headers = new Headers(options.headers || {});
    headers.set(tokenHeader, token);
    headers.set("Accept", "text/html");
    document.documentElement.setAttribute("aria-busy", "true");
    return fetch(url, {
      method: options.method || "GET",
      body: options.body,
      headers: headers,
      credentials: "same-origin",
      redirect: "follow"
    })
      .then(function (response) {
        return response.text().then(function (html) {
          swapPage(html, response.url, push);
        });
      })
      .catch(function () {
        window.alert("The tool could not be reached. Check your connection and try again.");
      })
      .finally(function () {
        document.documentElement.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    if (!token || event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download") || link.hasAttribute("data-native")) {
      return;
    }
    var url = new URL(link.href, window.location.href);
    if (!isToolUrl(url) || (url.hash && url.pathname === window.location.pathname)) {
      return;
    }
    event.preventDefault();
    loadPage(url.href, {}, true);
  });

  var submitting = false;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!token || event.defaultPrevented || form.hasAttribute("data-native")) {
      return;
    }
    // A double click must not send the form twice.
    if (submitting) {
      event.preventDefault();
      return;
    }
    var url = new URL(form.action || window.location.href, window.location.href);
    if (!isToolUrl(url)) {
      return;
    }
    event.preventDefault();
    var data = new FormData(form, event.submitter || null);
    var loading;
    if ((form.method || "get").toLowerCase() === "get") {
      url.search = new URLSearchParams(data).toString();
      loading = loadPage(url.href, {}, true);
    } else {
      submitting = true;
      loading = loadPage(url.href, { method: "POST", body: data }, true);
    }
    loading.finally(function () {
      submitting = false;
    });
  });

  window.addEventListener("popstate", function () {
    if (token) {
      loadPage(window.location.href, {}, false);
    }
  });

  function renewToken() {
    var renewUrl = metaContent(document, "renew-url");
    if (!token || !renewUrl) {
      return;
    }
    var headers = new Headers();
    headers.set(tokenHeader, token);
    headers.set("X-CSRFToken", metaContent(document, "csrf-token"));
    headers.set("Accept", "application/json");
    fetch(renewUrl, { method: "POST", headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.token) {
          setToken(body.token);
          var meta = document.querySelector('meta[name="launch-token"]');
          if (meta) {
            meta.setAttribute("content", body.token);
          }
        }
      })
      .catch(function () {
        // The next renewal or page load tries again.
      });
  }

  window.setInterval(renewToken, RENEW_INTERVAL_MS);

  // The "Clone room in progress" panel polls its job's status endpoint.
  var CLONE_POLL_MS = 1000;
  var clonePollTimer = null;

  function pollClone(panel) {
    var headers = new Headers();
    headers.set(tokenHeader, token);
    headers.set("Accept", "application/json");
    fetch(panel.getAttribute("data-clone-status-url"), { headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (!status || !document.body.contains(panel)) {
          return;
        }
        var bar = panel.querySelector("progress");
        var message = panel.querySelector("[data-clone-message]");
        bar.value = status.percent;
        if (status.status === "succeeded") {
          message.textContent = panel.getAttribute("data-text-done") || "The new room is ready.";
          var heading = panel.querySelector("h1");
          var finished = panel.getAttribute("data-text-finished");
          if (heading && finished) {
            heading.textContent = finished;
            document.title = finished;
          }
          panel.querySelector("[data-clone-done]").hidden = false;
          return;
        }
        if (status.status === "failed") {
          loadPage(window.location.href, {}, false);
          return;
        }
        clonePollTimer = window.setTimeout(function () { pollClone(panel); }, CLONE_POLL_MS);
      })
      .catch(function () {
        clonePollTimer = window.setTimeout(function () { pollClone(panel); }, CLONE_POLL_MS * 3);
      });
  }

  document.addEventListener("rooms:load", function () {
    window.clearTimeout(clonePollTimer);
    var panel = document.querySelector(".clone-panel[data-clone-status-url]");
    if (panel && ["queued", "running"].indexOf(panel.getAttribute("data-job-status")) >= 0) {
      pollClone(panel);
    }
  });

  // The launch returns the course page at /lti/launch: show the page's own URL.
  var pageUrl = metaContent(document, "page-url");
  if (pageUrl && pageUrl !== window.location.pathname + window.location.search) {
    history.replaceState({ rooms: true }, "", pageUrl);
  }
  document.dispatchEvent(new Event("rooms:load"));
})();
