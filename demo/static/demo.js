// Scripts of the demo LMS, served as a file because the pages allow no inline script.
//
// 1. Forms marked data-auto-submit are submitted once the page has loaded. They carry a
//    launch to the tool, and their buttons remain as a fallback when scripts are off.
// 2. The page that frames the tool responds to the tool's LTI platform storage messages
//    (lti.capabilities, lti.put_data, lti.get_data), so that the tool can keep its state and
//    nonce here when the browser blocks its cookies. Only the framed tool's origin is served.
"use strict";

const SUPPORTED_SUBJECTS = ["lti.capabilities", "lti.put_data", "lti.get_data"];

function submitLaunchForms() {
  for (const form of document.querySelectorAll("form[data-auto-submit]")) {
    form.submit();
    // A second submission would reuse the single-use lti_message_hint, so the form is hidden.
    if (form.classList.contains("frame-launch-form")) {
      form.hidden = true;
    }
  }
}

function answerPlatformStorage() {
  // Values live as long as this page, which is as long as the framed launch.
  const storedValues = new Map();

  window.addEventListener("message", (event) => {
    const frame = document.querySelector("iframe[data-tool-origin]");
    if (!frame || event.origin !== frame.dataset.toolOrigin || event.source !== frame.contentWindow) {
      return;
    }
    const message = event.data;
    if (!message || typeof message !== "object" || typeof message.subject !== "string") {
      return;
    }
    const reply = (fields) => {
      const response = { subject: `${message.subject}.response`, message_id: message.message_id, ...fields };
      event.source.postMessage(response, event.origin);
    };

    if (message.subject === "lti.capabilities") {
      reply({ supported_messages: SUPPORTED_SUBJECTS.map((subject) => ({ subject })) });
    } else if (message.subject === "lti.put_data" || message.subject === "lti.get_data") {
      if (typeof message.key !== "string" || message.key === "") {
        reply({ error: { code: "bad_request", message: "The message has no key." } });
      } else if (message.subject === "lti.put_data") {
        storedValues.set(message.key, message.value);
        reply({ key: message.key, value: message.value });
      } else {
        // NOTE: a key that was never stored gets a null value rather than an error. Whether
        // Canvas sends an error here is unverified.
        const value = storedValues.has(message.key) ? storedValues.get(message.key) : null;
        reply({ key: message.key, value });
      }
    } else {
      reply({ error: { code: "unsupported_subject", message: `The subject ${message.subject} is not supported.` } });
    }
  });
}

// The page loads this script in its head, without defer, so the listener is in place before
// the tool frame exists. A tool page can send its first message as soon as it loads.
answerPlatformStorage();
document.addEventListener("DOMContentLoaded", submitLaunchForms);
