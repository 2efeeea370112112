// Login and launch steps inside an LMS frame, for browsers that block the tool's cookies there.
//
// The login page keeps the OIDC state and nonce in the LMS window through LTI platform
// storage (1EdTech "LTI postMessage Storage": lti.put_data) when the login named an
// lti_storage_target, or else checks that the browser sends the tool's cookies. It then
// continues to the LMS's authentication URL, as the login's redirect would. When neither
// works, it offers to open the tool in a new window, where cookies are first-party.
//
// The launch page of such a login reads the state and nonce back (lti.get_data) and posts
// them with the parked launch's key, so that the server completes the launch.
"use strict";

const MESSAGE_TIMEOUT_MS = 2000;
const CAPABILITIES_TIMEOUT_MS = 1000;
// Current subjects first; platforms built on the draft use the org.imsglobal.lti. prefix.
const SUBJECT_PREFIXES = ["lti.", "org.imsglobal.lti."];

function randomMessageId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Return the window that responds to platform storage messages: the parent for "_parent",
// otherwise the parent's frame of that name (Canvas: "post_message_forwarding").
function storageWindow(target) {
  if (window.parent === window) {
    return null;
  }
  if (target === "_parent") {
    return window.parent;
  }
  try {
    return window.parent.frames[target] || null;
  } catch (error) {
    return null;
  }
}

// Send one message and resolve with its response: the reply from the target origin that
// carries the same message_id and the subject with ".response" appended.
function sendMessage(target, targetOrigin, subject, fields, timeoutMs) {
  const messageId = randomMessageId();
  return new Promise((resolve, reject) => {
    const onMessage = (event) => {
      const data = event.data;
      if (event.origin !== targetOrigin || !data || typeof data !== "object") {
        return;
      }
      if (data.message_id !== messageId || data.subject !== `${subject}.response`) {
        return;
      }
      window.clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      if (data.error) {
        reject(new Error(`${subject} failed: ${data.error.code || "error"}`));
      } else {
        resolve(data);
      }
    };
    const timer = window.setTimeout(() => {
      window.removeEventListener("message", onMessage);
      reject(new Error(`${subject} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    window.addEventListener("message", onMessage);
    target.postMessage({ subject, message_id: messageId, ...fields }, targetOrigin);
  });
}

// Return the subject prefixes to try: the one lti.capabilities lists for put_data, or both
// when the platform does not respond to lti.capabilities.
async function storagePrefixes(target, targetOrigin) {
  let response;
  try {
    response = await sendMessage(target, targetOrigin, "lti.capabilities", {}, CAPABILITIES_TIMEOUT_MS);
  } catch (error) {
    return SUBJECT_PREFIXES;
  }
  const supported = Array.isArray(response.supported_messages) ? response.supported_messages : [];
  const subjects = supported.map((message) => message && message.subject);
  return SUBJECT_PREFIXES.filter((prefix) => subjects.includes(`${prefix}put_data`));
}

async function storageCall(target, targetOrigin, prefixes, name, fields) {
  let lastError = new Error("The LMS does not offer platform storage.");
  for (const prefix of prefixes) {
    try {
      return await sendMessage(target, targetOrigin, prefix + name, fields, MESSAGE_TIMEOUT_MS);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function putInPlatformStorage(settings) {
  const target = storageWindow(settings.storageTarget);
  if (!target) {
    throw new Error(`No frame named ${settings.storageTarget} for platform storage.`);
  }
  const prefixes = await storagePrefixes(target, settings.storageOrigin);
  await storageCall(target, settings.storageOrigin, prefixes, "put_data", { key: settings.stateKey, value: settings.state });
  await storageCall(target, settings.storageOrigin, prefixes, "put_data", { key: settings.nonceKey, value: settings.nonce });
}

async function cookiesSent(checkUrl) {
  try {
    const response = await fetch(checkUrl, { credentials: "same-origin", cache: "no-store" });
    return response.ok && (await response.json()).cookies_sent === true;
  } catch (error) {
    return false;
  }
}

function offerNewWindow(main) {
  main.querySelector("[role=status]").hidden = true;
  const offer = main.querySelector("[data-testid=new-window-offer]");
  offer.hidden = false;
  offer.querySelector("[data-testid=open-in-new-window]").addEventListener("click", () => {
    offer.querySelector("[data-testid=new-window-opened]").hidden = false;
  });
}

async function continueLogin(main) {
  const settings = main.dataset;
  if (settings.storageTarget) {
    try {
      await putInPlatformStorage(settings);
      window.location.replace(settings.authUrl);
      return;
    } catch (error) {
      console.warn("Platform storage is not available:", error.message);
    }
  }
  if (await cookiesSent(settings.cookieCheckUrl)) {
    window.location.replace(settings.authUrl);
    return;
  }
  offerNewWindow(main);
}

async function confirmLaunch(main) {
  const settings = main.dataset;
  const form = main.querySelector("form");
  try {
    const target = storageWindow(settings.storageTarget);
    if (!target) {
      throw new Error(`No frame named ${settings.storageTarget} for platform storage.`);
    }
    const prefixes = await storagePrefixes(target, settings.storageOrigin);
    const state = await storageCall(target, settings.storageOrigin, prefixes, "get_data", { key: settings.stateKey });
    const nonce = await storageCall(target, settings.storageOrigin, prefixes, "get_data", { key: settings.nonceKey });
    if (typeof state.value !== "string" || typeof nonce.value !== "string") {
      throw new Error("The LMS's platform storage has no state and nonce for this launch.");
    }
    form.elements.state.value = state.value;
    form.elements.nonce.value = nonce.value;
  } catch (error) {
    console.warn("The launch could not be confirmed:", error.message);
    main.querySelector("[role=status]").hidden = true;
    main.querySelector("[data-testid=launch-check-failed]").hidden = false;
    return;
  }
  form.submit();
}

document.addEventListener("DOMContentLoaded", () => {
  const main = document.querySelector("main[data-lti-step]");
  if (main && main.dataset.ltiStep === "login") {
    continueLogin(main);
  } else if (main && main.dataset.ltiStep === "launch") {
    confirmLaunch(main);
  }
});
