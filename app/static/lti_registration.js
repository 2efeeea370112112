// Closes the dynamic registration page: the LMS that opened it, in an iframe
// (Canvas, Moodle) or a new window, listens for this message and returns the
// administrator to its own page. The message carries nothing secret, so it may
// go to any origin, as in the example of Canvas's registration guide.
(function () {
  "use strict";

  var button = document.querySelector("[data-lti-close]");
  if (!button) {
    return;
  }
  button.addEventListener("click", function () {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  });
})();
