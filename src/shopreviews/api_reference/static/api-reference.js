// The API reference page: Swagger UI over /openapi.json, and the signing panel whose tokens sign
// every "Try it out" call to an operation that requires the shop signature.
//
// The tokens live in this module's memory only, never in storage: sessionStorage would keep
// the private token readable by any script of this origin for as long as the tab lives, and a
// reload asking for it again is a small price. The inputs have no name, so even a form
// submitted without this script sends nothing.
import { canSign, parseQuery, requestSign, timestampFor } from "./signing.js";

const SIGNATURE_HEADERS = ["Public-Token", "Timestamp", "Sign"];

let tokens = null; // { publicToken, privateToken } while the panel is in use
let ui = null;

// --- which operations are signed -----------------------------------------------------------

function operationPattern(path) {
  const escaped = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]*\}/g, "[^/]+");
  return new RegExp(`^${escaped}$`);
}

// [method, path pattern] of every operation whose security asks for the shop signature, read
// from the document once it has loaded.
let signedOperations = null;

function signedOperationsOf(spec) {
  const found = [];
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const [method, operation] of Object.entries(item || {})) {
      const requirements = (operation && operation.security) || spec.security || [];
      if (requirements.some((requirement) => "Sign" in requirement)) {
        found.push([method.toUpperCase(), operationPattern(path)]);
      }
    }
  }
  return found;
}

function isSigned(method, pathname) {
  if (signedOperations === null) {
    const spec = ui && ui.specSelectors.specJson().toJS();
    if (!spec || !spec.paths) return false;
    signedOperations = signedOperationsOf(spec);
  }
  return signedOperations.some(([m, pattern]) => m === method && pattern.test(pathname));
}

// --- signing each request ------------------------------------------------------------------

function withoutSignatureHeaders(headers) {
  const names = SIGNATURE_HEADERS.map((name) => name.toLowerCase());
  return Object.fromEntries(
    Object.entries(headers || {}).filter(([name]) => !names.includes(name.toLowerCase())),
  );
}

async function signRequest(request) {
  if (request.loadSpec || tokens === null) return request;
  const url = new URL(request.url, document.baseURI);
  const method = (request.method || "GET").toUpperCase();
  if (url.origin !== location.origin || !isSigned(method, url.pathname)) return request;
  // A body the browser would encode itself (a form) has no bytes to sign here.
  const body = request.body === undefined || request.body === null ? "" : request.body;
  if (typeof body !== "string") return request;
  // The query exactly as the browser sends it: URL serialisation percent-encodes what the
  // editor left raw, and the server signs what arrives.
  const rawQuery = url.search.slice(1);
  const pairs = parseQuery(rawQuery);
  if (pairs === null) return request; // not UTF-8: the server explains its refusal (code 3)
  const timestamp = timestampFor(pairs, Math.floor(Date.now() / 1000));
  const sign = await requestSign(tokens.privateToken, timestamp, rawQuery, body);
  request.headers = {
    ...withoutSignatureHeaders(request.headers),
    "Public-Token": tokens.publicToken,
    Timestamp: timestamp,
    Sign: sign,
  };
  return request;
}

// --- the signing panel ---------------------------------------------------------------------

function setUpPanel() {
  const form = document.getElementById("signing-form");
  const publicInput = document.getElementById("public-token");
  const privateInput = document.getElementById("private-token");
  const forget = document.getElementById("signing-forget");
  const status = document.getElementById("signing-status");

  if (!canSign()) {
    form.querySelector("fieldset").disabled = true;
    status.textContent =
      "This browser only signs on a secure page: open the reference over HTTPS (or on " +
      "localhost). Signed operations can still be read here.";
    return;
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const publicToken = publicInput.value.trim();
    const privateToken = privateInput.value.trim();
    if (!publicToken || !privateToken) {
      status.textContent = "Enter both the public token and the private token.";
      (publicToken ? privateInput : publicInput).focus();
      return;
    }
    tokens = { publicToken, privateToken };
    // Out of the page once read: it stays in this module's memory only.
    privateInput.value = "";
    privateInput.placeholder = "Kept in this tab's memory";
    forget.disabled = false;
    status.textContent = `Signing shop requests with public token ${publicToken}.`;
  });
  forget.addEventListener("click", () => {
    tokens = null;
    publicInput.value = "";
    privateInput.value = "";
    privateInput.placeholder = "";
    forget.disabled = true;
    status.textContent = "Tokens forgotten: shop requests are sent unsigned.";
    publicInput.focus();
  });
}

// --- what Swagger UI's markup lacks -------------------------------------------------------

// Names and keyboard access that Swagger UI leaves out (WCAG 2.1 AA, as axe-core checks it),
// added to whatever it renders, as it renders it.
function completeMarkup(root) {
  for (const select of root.querySelectorAll("tr[data-param-name] select:not([aria-label])")) {
    select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
  }
  for (const body of root.querySelectorAll("textarea.body-param__text:not([aria-label])")) {
    body.setAttribute("aria-label", "Request body");
  }
  for (const button of root.querySelectorAll(".copy-to-clipboard button:not([aria-label])")) {
    button.setAttribute("aria-label", "Copy to clipboard");
  }
  for (const button of root.querySelectorAll("button.close-modal:not([aria-label])")) {
    button.setAttribute("aria-label", "Close");
  }
  // The Authorize dialog's forms label their inputs "Value:", and give the API key inputs one
  // shared id (so all their labels point at the first) and the bearer input the name
  // "auth-bearer-value": each input gets an id of its own and its scheme's name.
  for (const form of root.querySelectorAll(".auth-container")) {
    const input = form.querySelector("input#api_key_value, input#auth-bearer-value");
    const scheme = form.querySelector("h4 code");
    if (input && scheme && !input.id.startsWith("auth-value-")) {
      const name = scheme.textContent.trim();
      const id = `auth-value-${name}`;
      form.querySelector(`label[for="${input.id}"]`)?.setAttribute("for", id);
      input.id = id;
      input.setAttribute("aria-label", `${name} value`);
    }
  }
  // Code samples scroll sideways: a keyboard user has to be able to reach them to scroll.
  for (const sample of root.querySelectorAll("pre.microlight:not([tabindex])")) {
    sample.tabIndex = 0;
  }
}

// --- Swagger UI ----------------------------------------------------------------------------

setUpPanel();
const root = document.getElementById("swagger-ui");
new MutationObserver(() => completeMarkup(root)).observe(root, { childList: true, subtree: true });
ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // Off: a deep link is an <a> inside each operation's summary button, a control nested in a
  // control that keyboard and screen reader users cannot reach as such (axe: nested-interactive).
  deepLinking: false,
  // The default sends the document to a public validator: nothing here leaves this server.
  validatorUrl: null,
  // Of Swagger UI's code themes, the one whose colours reach 4.5:1 on its background, all but
  // one that api-reference.css lightens; the default theme's numbers fall short.
  syntaxHighlight: { activated: true, theme: "tomorrow-night" },
  requestInterceptor: signRequest,
});
