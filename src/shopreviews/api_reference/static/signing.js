// The partner API's request signature, computed in the browser exactly as the server checks it
// (shopreviews/kit/signing.py): the query's decoded pairs plus `timestamp`, sorted by key,
// joined as `key=value` with "&"; then "|" and the raw body when there is one; HMAC-SHA256 of
// those UTF-8 bytes keyed with the shop's private token, in lowercase hex.

const utf8 = new TextEncoder();
// fatal: bytes that are not UTF-8 make the server refuse the query (code 3), so there is nothing
// to sign; ignoreBOM: a leading U+FEFF is a character of the value, as the server reads it.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function hexValue(byte) {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

// One key or value as application/x-www-form-urlencoded decoding reads it on the server: "+"
// is a space, "%XX" a byte, and a "%" without two hex digits after it stays as it is.
function decodeComponent(raw) {
  const bytes = utf8.encode(raw.replaceAll("+", " "));
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x25 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high >= 0 && low >= 0) {
        out[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[length++] = bytes[i];
  }
  return strictUtf8.decode(out.subarray(0, length));
}

/** The raw query string's [key, value] pairs in order, decoded; null when they are not UTF-8. */
export function parseQuery(raw) {
  const pairs = [];
  try {
    for (const segment of raw.split("&")) {
      if (!segment) continue;
      const cut = segment.indexOf("=");
      const key = cut < 0 ? segment : segment.slice(0, cut);
      const value = cut < 0 ? "" : segment.slice(cut + 1);
      pairs.push([decodeComponent(key), decodeComponent(value)]);
    }
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
  return pairs;
}

// By code point, as the server sorts: JavaScript's own string order compares UTF-16 code units,
// which puts characters beyond U+FFFF before U+E000-U+FFFF.
function compareCodePoints(a, b) {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const difference = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (difference) return difference;
  }
}

/** Sorted `key=value` pairs plus the timestamp (unless the query has one), joined with "&". */
export function baseString(pairs, timestamp) {
  const all = pairs.some(([key]) => key === "timestamp") ? [...pairs] : [...pairs, ["timestamp", timestamp]];
  // Array.prototype.sort is stable: repeated keys keep the order they were sent in.
  all.sort((a, b) => compareCodePoints(a[0], b[0]));
  return all.map(([key, value]) => `${key}=${value}`).join("&");
}

/** The Timestamp header for a query: its own `timestamp` when it has one (the server requires
 * the two to agree), else the given Unix seconds. */
export function timestampFor(pairs, nowSeconds) {
  const given = pairs.find(([key]) => key === "timestamp");
  return given ? given[1] : String(nowSeconds);
}

function messageBytes(base, body) {
  const head = utf8.encode(base);
  if (!body.length) return head;
  const message = new Uint8Array(head.length + 1 + body.length);
  message.set(head);
  message[head.length] = 0x7c; // "|"
  message.set(body, head.length + 1);
  return message;
}

async function hmacHex(key, message) {
  const imported = await crypto.subtle.importKey(
    "raw",
    utf8.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", imported, message));
  return Array.from(signature, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** What a client sends as Sign for this raw query string and body (a string, sent as UTF-8);
 * null when the query is not UTF-8. */
export async function requestSign(privateToken, timestamp, rawQuery, body = "") {
  const pairs = parseQuery(rawQuery);
  if (pairs === null) return null;
  return hmacHex(privateToken, messageBytes(baseString(pairs, timestamp), utf8.encode(body)));
}

/** Whether this page can sign: WebCrypto exists only in a secure context (HTTPS or localhost). */
export function canSign() {
  return Boolean(globalThis.isSecureContext && globalThis.crypto && crypto.subtle);
}
