// ShopReviews storefront widget: <shopreviews-reviews> and <shopreviews-stars>.
// One dependency-free ES module, served by the ShopReviews service (docs/storefront.md).
// No cookies, no storage, no third-party requests. Hand-written: there is no build step.

const ORIGIN = new URL(import.meta.url).origin;
const MAX_TEXT = 400; // "read more" past this many characters
const MAX_PHOTOS = 5;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

// The strings of every language. The server renders the same markup for the fragment and reads
// this object between the markers (widget/service.py): keep it plain JSON.
export const I18N = /*i18n*/{
"en": {
 "heading": "Customer reviews", "count_one": "{n} review", "count_other": "{n} reviews",
 "rated": "Rated {r} out of 5", "stars_one": "{n} star", "stars_other": "{n} stars",
 "filters": "Filter by rating", "showAll": "Show all reviews", "sort": "Sort by",
 "featured": "Featured", "newest": "Newest", "oldest": "Oldest",
 "highest": "Highest rating", "lowest": "Lowest rating", "withPhotos": "With photos",
 "verified": "Verified buyer", "readMore": "Read more", "readLess": "Show less",
 "reply": "Reply from the shop", "more": "Load more reviews",
 "empty": "No reviews yet", "emptyHint": "Be the first to share your experience.",
 "noMatch": "No reviews match these filters.", "write": "Write a review",
 "yourRating": "Your rating", "title": "Title (optional)", "content": "Your review",
 "author": "Your name", "email": "Your email (never shown)", "photos": "Add photos (up to 5)",
 "remove": "Remove photo {i}", "uploading": "Uploading photo {i}", "submit": "Submit review",
 "cancel": "Cancel", "honeypot": "Leave this field empty",
 "published": "Thank you! Your review is published.",
 "pending": "Thank you! Your review will appear once the shop has checked it.",
 "fix": "Please correct the marked fields.", "required": "This field is required.",
 "badEmail": "Enter a valid email address.", "pickRating": "Choose a rating from 1 to 5 stars.",
 "badPhoto": "Photos must be images of at most 10 MB.", "uploadFailed": "A photo could not be uploaded.",
 "check": "Please check this field.", "dup": "You have already reviewed this product.",
 "denied": "This shop does not accept reviews from this page.",
 "limited": "Too many attempts. Please try again later.",
 "failed": "Something went wrong. Please try again.",
 "how": "How reviews are collected",
 "notice": "Reviews are shown as their authors wrote them, whatever their rating. “Verified buyer” means that the reviewer's email address matched an order of this shop.",
 "share": "Where these reviews come from",
 "via_email_request": "Review request email after an order", "via_storefront": "Written on this site",
 "via_import": "Imported from another review app", "via_api": "Added by the shop",
 "anonymous": "Anonymous", "photo": "Photo {i} of {n} by {a}", "close": "Close",
 "prev": "Previous photo", "next": "Next photo", "loading": "Loading reviews…",
 "shown": "{n} reviews shown"
},
"de": {
 "heading": "Kundenbewertungen", "count_one": "{n} Bewertung", "count_other": "{n} Bewertungen",
 "rated": "Bewertet mit {r} von 5", "stars_one": "{n} Stern", "stars_other": "{n} Sterne",
 "filters": "Nach Bewertung filtern", "showAll": "Alle Bewertungen zeigen", "sort": "Sortieren nach",
 "featured": "Empfohlen", "newest": "Neueste", "oldest": "Älteste",
 "highest": "Beste Bewertung", "lowest": "Schlechteste Bewertung", "withPhotos": "Mit Fotos",
 "verified": "Verifizierter Kauf", "readMore": "Weiterlesen", "readLess": "Weniger anzeigen",
 "reply": "Antwort des Shops", "more": "Weitere Bewertungen laden",
 "empty": "Noch keine Bewertungen", "emptyHint": "Teilen Sie als Erste oder Erster Ihre Erfahrung.",
 "noMatch": "Keine Bewertungen passen zu diesen Filtern.", "write": "Bewertung schreiben",
 "yourRating": "Ihre Bewertung", "title": "Titel (optional)", "content": "Ihre Rezension",
 "author": "Ihr Name", "email": "Ihre E-Mail-Adresse (wird nie angezeigt)",
 "photos": "Fotos hinzufügen (bis zu 5)", "remove": "Foto {i} entfernen",
 "uploading": "Foto {i} wird hochgeladen", "submit": "Bewertung absenden", "cancel": "Abbrechen",
 "honeypot": "Dieses Feld leer lassen",
 "published": "Vielen Dank! Ihre Bewertung ist veröffentlicht.",
 "pending": "Vielen Dank! Ihre Bewertung erscheint, sobald der Shop sie geprüft hat.",
 "fix": "Bitte korrigieren Sie die markierten Felder.", "required": "Dieses Feld ist erforderlich.",
 "badEmail": "Geben Sie eine gültige E-Mail-Adresse ein.", "pickRating": "Wählen Sie 1 bis 5 Sterne.",
 "badPhoto": "Fotos müssen Bilder bis 10 MB sein.", "uploadFailed": "Ein Foto konnte nicht hochgeladen werden.",
 "check": "Bitte prüfen Sie dieses Feld.", "dup": "Sie haben dieses Produkt bereits bewertet.",
 "denied": "Dieser Shop nimmt von dieser Seite keine Bewertungen an.",
 "limited": "Zu viele Versuche. Bitte versuchen Sie es später erneut.",
 "failed": "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
 "how": "Wie Bewertungen gesammelt werden",
 "notice": "Bewertungen werden unabhängig von ihrer Note so gezeigt, wie sie geschrieben wurden. „Verifizierter Kauf“ bedeutet, dass die E-Mail-Adresse zu einer Bestellung in diesem Shop passt.",
 "share": "Herkunft dieser Bewertungen",
 "via_email_request": "Bewertungsanfrage per E-Mail nach einer Bestellung",
 "via_storefront": "Auf dieser Website geschrieben", "via_import": "Aus einer anderen Bewertungs-App importiert",
 "via_api": "Vom Shop hinzugefügt", "anonymous": "Anonym", "photo": "Foto {i} von {n} von {a}",
 "close": "Schließen", "prev": "Vorheriges Foto", "next": "Nächstes Foto",
 "loading": "Bewertungen werden geladen…", "shown": "{n} Bewertungen angezeigt"
},
"fr": {
 "heading": "Avis clients", "count_one": "{n} avis", "count_other": "{n} avis",
 "rated": "Noté {r} sur 5", "stars_one": "{n} étoile", "stars_other": "{n} étoiles",
 "filters": "Filtrer par note", "showAll": "Afficher tous les avis", "sort": "Trier par",
 "featured": "En vedette", "newest": "Plus récents", "oldest": "Plus anciens",
 "highest": "Meilleures notes", "lowest": "Notes les plus basses", "withPhotos": "Avec photos",
 "verified": "Achat vérifié", "readMore": "Lire la suite", "readLess": "Réduire",
 "reply": "Réponse de la boutique", "more": "Charger plus d’avis",
 "empty": "Aucun avis pour le moment", "emptyHint": "Soyez le premier à partager votre expérience.",
 "noMatch": "Aucun avis ne correspond à ces filtres.", "write": "Écrire un avis",
 "yourRating": "Votre note", "title": "Titre (facultatif)", "content": "Votre avis",
 "author": "Votre nom", "email": "Votre e-mail (jamais affiché)",
 "photos": "Ajouter des photos (5 au maximum)", "remove": "Retirer la photo {i}",
 "uploading": "Envoi de la photo {i}", "submit": "Publier l’avis", "cancel": "Annuler",
 "honeypot": "Laissez ce champ vide",
 "published": "Merci ! Votre avis est publié.",
 "pending": "Merci ! Votre avis apparaîtra une fois vérifié par la boutique.",
 "fix": "Veuillez corriger les champs signalés.", "required": "Ce champ est obligatoire.",
 "badEmail": "Saisissez une adresse e-mail valide.", "pickRating": "Choisissez de 1 à 5 étoiles.",
 "badPhoto": "Les photos doivent être des images de 10 Mo au plus.",
 "uploadFailed": "Une photo n’a pas pu être envoyée.", "check": "Veuillez vérifier ce champ.",
 "dup": "Vous avez déjà donné votre avis sur ce produit.",
 "denied": "Cette boutique n’accepte pas d’avis depuis cette page.",
 "limited": "Trop de tentatives. Veuillez réessayer plus tard.",
 "failed": "Une erreur est survenue. Veuillez réessayer.",
 "how": "Comment les avis sont collectés",
 "notice": "Les avis sont affichés tels que leurs auteurs les ont écrits, quelle que soit leur note. « Achat vérifié » signifie que l’adresse e-mail de l’auteur correspond à une commande de cette boutique.",
 "share": "Provenance de ces avis",
 "via_email_request": "E-mail de demande d’avis après une commande", "via_storefront": "Écrits sur ce site",
 "via_import": "Importés d’une autre application d’avis", "via_api": "Ajoutés par la boutique",
 "anonymous": "Anonyme", "photo": "Photo {i} sur {n} de {a}", "close": "Fermer",
 "prev": "Photo précédente", "next": "Photo suivante", "loading": "Chargement des avis…",
 "shown": "{n} avis affichés"
},
"es": {
 "heading": "Opiniones de clientes", "count_one": "{n} opinión", "count_other": "{n} opiniones",
 "rated": "Valorado con {r} de 5", "stars_one": "{n} estrella", "stars_other": "{n} estrellas",
 "filters": "Filtrar por valoración", "showAll": "Mostrar todas las opiniones", "sort": "Ordenar por",
 "featured": "Destacadas", "newest": "Más recientes", "oldest": "Más antiguas",
 "highest": "Mejor valoradas", "lowest": "Peor valoradas", "withPhotos": "Con fotos",
 "verified": "Compra verificada", "readMore": "Leer más", "readLess": "Mostrar menos",
 "reply": "Respuesta de la tienda", "more": "Cargar más opiniones",
 "empty": "Todavía no hay opiniones", "emptyHint": "Sé el primero en compartir tu experiencia.",
 "noMatch": "Ninguna opinión coincide con estos filtros.", "write": "Escribir una opinión",
 "yourRating": "Tu valoración", "title": "Título (opcional)", "content": "Tu opinión",
 "author": "Tu nombre", "email": "Tu correo electrónico (nunca se muestra)",
 "photos": "Añadir fotos (hasta 5)", "remove": "Quitar la foto {i}",
 "uploading": "Subiendo la foto {i}", "submit": "Enviar opinión", "cancel": "Cancelar",
 "honeypot": "Deja este campo vacío",
 "published": "¡Gracias! Tu opinión está publicada.",
 "pending": "¡Gracias! Tu opinión aparecerá cuando la tienda la haya revisado.",
 "fix": "Corrige los campos marcados.", "required": "Este campo es obligatorio.",
 "badEmail": "Introduce un correo electrónico válido.", "pickRating": "Elige de 1 a 5 estrellas.",
 "badPhoto": "Las fotos deben ser imágenes de 10 MB como máximo.",
 "uploadFailed": "No se pudo subir una foto.", "check": "Revisa este campo.",
 "dup": "Ya has opinado sobre este producto.",
 "denied": "Esta tienda no acepta opiniones desde esta página.",
 "limited": "Demasiados intentos. Inténtalo más tarde.",
 "failed": "Algo ha fallado. Inténtalo de nuevo.",
 "how": "Cómo se recogen las opiniones",
 "notice": "Las opiniones se muestran tal como las escribieron sus autores, sea cual sea su valoración. «Compra verificada» significa que el correo electrónico del autor coincide con un pedido de esta tienda.",
 "share": "De dónde vienen estas opiniones",
 "via_email_request": "Correo de solicitud de opinión tras un pedido", "via_storefront": "Escritas en este sitio",
 "via_import": "Importadas de otra aplicación de opiniones", "via_api": "Añadidas por la tienda",
 "anonymous": "Anónimo", "photo": "Foto {i} de {n} de {a}", "close": "Cerrar",
 "prev": "Foto anterior", "next": "Foto siguiente", "loading": "Cargando opiniones…",
 "shown": "{n} opiniones mostradas"
}
}/*/i18n*/;

// The stylesheet of both elements (and of the server-rendered fragment, widget/service.py).
export const CSS = /*css*/`
:host{display:block;font-family:var(--shopreviews-font,inherit);color:var(--shopreviews-text,#1f1f1f);--a:var(--shopreviews-accent,#1a5fb4);--s:var(--shopreviews-star,#b25e00);--m:#595959;--line:#d6d6d6}
:host([hidden]){display:none}
*{box-sizing:border-box}
.w{margin:0;padding:0;position:relative}
.h{font-size:1.4em;margin:0 0 .6em;line-height:1.25}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.stars{display:inline-block;vertical-align:-.12em;width:5em;height:1em;background:linear-gradient(90deg,var(--s) var(--p),#8c8c8c var(--p));-webkit-mask:var(--star) 0 0/1em 1em repeat-x;mask:var(--star) 0 0/1em 1em repeat-x;--star:url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'%3E%3Cpath d='M10 1l2.7 5.8 6.3.7-4.7 4.3 1.3 6.2L10 14.9 4.4 18l1.3-6.2L1 7.5l6.3-.7z'/%3E%3C/svg%3E")}
.sum{display:flex;flex-wrap:wrap;gap:1em 2.5em;align-items:flex-start;padding-bottom:1em;border-bottom:1px solid var(--line)}
.avg{display:flex;flex-direction:column;gap:.3em;min-width:9em}
.num{font-size:2.4em;font-weight:700;line-height:1}
.avg .stars{font-size:1.2em}
.cnt,.dt,.via,.item{color:var(--m);font-size:.9em}
.hist{list-style:none;margin:0;padding:0;flex:1 1 16em;max-width:26em}
.hist li{margin:0}
.row{display:flex;align-items:center;gap:.6em;width:100%;padding:.2em .3em;border:1px solid transparent;border-radius:4px;background:none;font:inherit;color:inherit;cursor:pointer;text-align:left}
.row:hover{border-color:var(--line)}
.row[aria-pressed=true]{border-color:var(--a);background:#eef3fb}
.rl{min-width:4.6em;white-space:nowrap}
.bar{flex:1;height:.6em;background:#e6e6e6;border-radius:.3em;overflow:hidden}
.bar>span{display:block;height:100%;width:var(--p);background:var(--s)}
.rc{min-width:2.5em;text-align:right;color:var(--m)}
.acts{display:flex;flex-direction:column;gap:.6em;align-items:flex-start}
button{font:inherit}
.btn{background:var(--a);color:#fff;border:0;border-radius:4px;padding:.55em 1.1em;cursor:pointer;line-height:1.3}
.btn[disabled]{opacity:.6;cursor:default}
.sec{background:none;color:var(--a);border:1px solid var(--a)}
.link{background:none;border:0;padding:0;color:var(--a);text-decoration:underline;cursor:pointer;line-height:1.3}
:focus-visible{outline:2px solid var(--a);outline-offset:2px}
.how,.form,.done{margin:1em 0;padding:1em;border:1px solid var(--line);border-radius:6px}
.how p{margin:0 0 .5em}
.how ul{margin:.3em 0 0;padding-left:1.2em}
.bar2{display:flex;flex-wrap:wrap;gap:.8em 1.5em;align-items:center;margin:1em 0}
select{font:inherit;margin-left:.4em;padding:.2em}
.list{list-style:none;margin:0;padding:0}
.rv{padding:1em 0;border-bottom:1px solid var(--line)}
.rv:focus{outline:none}
.hd{display:flex;flex-wrap:wrap;gap:.3em .8em;align-items:baseline;margin-bottom:.3em}
.au{font-weight:600}
.vf{color:#146c2e;font-size:.9em}
.tt{font-size:1em;margin:.4em 0 .2em}
.tx{margin:.3em 0;white-space:pre-line;overflow-wrap:anywhere}
.item{margin:.2em 0}
.media{list-style:none;display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0;padding:0}
.th{padding:0;border:1px solid var(--line);border-radius:4px;background:none;cursor:zoom-in;width:72px;height:72px;overflow:hidden}
.th img{width:100%;height:100%;object-fit:cover;display:block}
.rp{margin:.6em 0 0 1em;padding:.5em .8em;border-left:3px solid var(--a);background:#f4f6f9}
.rp p{margin:.2em 0;white-space:pre-line}
.rpt{font-weight:600}
.via{margin:.3em 0 0}
.empty{padding:1.5em 0;text-align:center}
.empty p{margin:.3em 0}
.more{display:block;margin:1em auto 0}
.field{margin:0 0 .9em}
.field label,.rate legend,.fl{display:block;font-weight:600;margin-bottom:.25em}
input[type=text],input[type=email],textarea{width:100%;font:inherit;padding:.45em;border:1px solid #767676;border-radius:4px;color:inherit;background:#fff}
textarea{min-height:7em}
[aria-invalid=true]{border-color:#b3261e}
.err{color:#b3261e;font-size:.9em;margin:.25em 0 0}
.rate{border:0;margin:0 0 .9em;padding:0}
.rate input{position:absolute;opacity:0;width:1px;height:1px}
.rate label{display:inline-block;cursor:pointer;padding:2px}
.rate label .stars{width:1.6em;height:1.6em;-webkit-mask-size:1.6em;mask-size:1.6em;--p:0%}
.rate input:focus-visible+label{outline:2px solid var(--a)}
.rate[data-v="1"] label:nth-of-type(-n+1) .stars,.rate[data-v="2"] label:nth-of-type(-n+2) .stars,.rate[data-v="3"] label:nth-of-type(-n+3) .stars,.rate[data-v="4"] label:nth-of-type(-n+4) .stars,.rate[data-v="5"] .stars{--p:100%}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.pics{list-style:none;display:flex;flex-wrap:wrap;gap:.6em;margin:.5em 0 0;padding:0}
.pics li{display:flex;flex-direction:column;gap:.2em;width:88px}
.pics img{width:88px;height:88px;object-fit:cover;border-radius:4px}
.pics progress{width:88px}
.fbtn{display:flex;gap:.8em;flex-wrap:wrap}
.done{border-color:#146c2e}
.alert{color:#b3261e;margin:0 0 .8em}
dialog{max-width:min(92vw,900px);padding:1em;border:0;border-radius:8px}
dialog::backdrop{background:rgba(0,0,0,.75)}
dialog img,dialog video{display:block;max-width:100%;max-height:75vh;margin:0 auto}
.lbb{display:flex;justify-content:space-between;gap:.6em;margin-top:.6em;align-items:center}
.badge{display:inline-flex;align-items:center;gap:.3em;white-space:nowrap}
.badge .cnt{font-size:.9em}
`/*/css*/;

const SORTS = [["featured", "featured"], ["created-descending", "newest"], ["created-ascending", "oldest"], ["rating-descending", "highest"], ["rating-ascending", "lowest"]];
const VIA = ["email_request", "storefront", "import", "api"];
const FIELDS = ["author_email", "author", "title", "content", "rating", "media"];

let sheet;
function adopt(root) {
  if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
  root.adoptedStyleSheets = [sheet];
}

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

// The language of an element: its `lang`, else the page's <html lang>, else English.
export function language(el) {
  const tag = (el.getAttribute("lang") || document.documentElement.lang || "en").trim();
  const primary = tag.split(/[-_]/)[0].toLowerCase();
  return I18N[primary] ? { t: I18N[primary], locale: tag.replace("_", "-") } : { t: I18N.en, locale: "en" };
}

function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, (_, k) => vars[k]); }

class Words {
  constructor(el) {
    const { t, locale } = language(el);
    this.t = t; this.locale = locale;
    try { this.plural = new Intl.PluralRules(locale); this.int = new Intl.NumberFormat(locale); } catch {
      this.locale = "en"; this.plural = new Intl.PluralRules("en"); this.int = new Intl.NumberFormat("en");
    }
    this.dec = new Intl.NumberFormat(this.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.date = new Intl.DateTimeFormat(this.locale, { dateStyle: "medium", timeZone: "UTC" });
  }
  s(key, vars = {}) { return fmt(this.t[key] ?? I18N.en[key], vars); }
  n(key, count) {
    const form = this.plural.select(count) === "one" ? "one" : "other";
    return this.s(`${key}_${form}`, { n: this.int.format(count) });
  }
  half(value) { const v = Math.round(Number(value) * 2) / 2; return Number.isInteger(v) ? this.int.format(v) : this.dec.format(v); }
  day(text) { const d = new Date(String(text).replace(" ", "T") + "Z"); return isNaN(d) ? "" : this.date.format(d); }
}

// Stars, rounded to the nearest half, read as "Rated 4.5 out of 5".
export function starsHTML(w, value, extra = "") {
  const half = Math.round(Number(value || 0) * 2) / 2;
  return `<span class="stars" part="stars" role="img" aria-label="${esc(w.s("rated", { r: w.half(half) }) + extra)}" style="--p:${half * 20}%"></span>`;
}

function api(el) { return (el.getAttribute("api-base") || ORIGIN).replace(/\/+$/, ""); }
function shopPath(el) { return `${api(el)}/api/v1/storefront/shops/${encodeURIComponent(el.getAttribute("shop") || "")}`; }

class ApiFailure extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

async function call(url, init) {
  let body;
  try { body = await (await fetch(url, { credentials: "omit", ...init })).json(); } catch { throw new ApiFailure(-1, "network"); }
  if (body.code !== 0) throw new ApiFailure(body.code, body.message || "");
  return body.data;
}

// --- customer events: batched, sent with navigator.sendBeacon --------------------------------

const outbox = new Map(); // events URL -> events waiting
let outboxTimer = 0;

function flush() {
  clearTimeout(outboxTimer); outboxTimer = 0;
  for (const [url, events] of outbox) {
    while (events.length) {
      const body = JSON.stringify({ events: events.splice(0, 20) });
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
        fetch(url, { method: "POST", body, keepalive: true, credentials: "omit" }).catch(() => {});
      }
    }
  }
  outbox.clear();
}

function track(el, type, reviewId) {
  const event = { event_type: type };
  const pid = el.getAttribute("product-id");
  if (pid && !el.hasAttribute("store")) event.product_id = pid;
  if (reviewId) event.review_id = reviewId;
  if (/^https?:/.test(location.href) && location.href.length <= 2048) event.page_url = location.href;
  const url = `${shopPath(el)}/events`;
  if (!outbox.has(url)) outbox.set(url, []);
  const queue = outbox.get(url);
  queue.push(event);
  if (queue.length >= 20) flush();
  else if (!outboxTimer) outboxTimer = setTimeout(flush, 1000);
}

addEventListener("pagehide", flush);
addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });

// --- the markup of the reviews element (mirrored by widget/service.py for the fragment) --------

function summaryHTML(w, rating, filter) {
  const count = rating.review_count || 0;
  if (!count) {
    return `<div class="empty" part="empty"><p><strong>${esc(w.s("empty"))}</strong></p><p>${esc(w.s("emptyHint"))}</p>` +
      `<button type="button" class="btn" data-act="write" aria-expanded="false" aria-controls="fw">${esc(w.s("write"))}</button></div>`;
  }
  const rows = [5, 4, 3, 2, 1].map((star) => {
    const n = rating[`star${star}_count`] || 0;
    const pct = Math.round((n / count) * 100);
    return `<li><button type="button" class="row" data-star="${star}" aria-pressed="${filter.has(star)}">` +
      `<span class="rl">${esc(w.n("stars", star))}</span><span class="bar"><span style="--p:${pct}%"></span></span>` +
      `<span class="rc" aria-hidden="true">${esc(w.int.format(n))}</span><span class="sr">${esc(w.n("count", n))}</span></button></li>`;
  }).join("");
  return `<div class="sum" part="summary"><div class="avg"><span class="num" part="average">${esc(w.dec.format(Number(rating.rating_value)))}</span>` +
    `${starsHTML(w, rating.rating_value)}<span class="cnt">${esc(w.n("count", count))}</span></div>` +
    `<ul class="hist" part="histogram" aria-label="${esc(w.s("filters"))}">${rows}</ul>` +
    `<div class="acts"><button type="button" class="btn" data-act="write" aria-expanded="false" aria-controls="fw">${esc(w.s("write"))}</button>` +
    `<button type="button" class="link" data-act="how" aria-expanded="false" aria-controls="how">${esc(w.s("how"))}</button></div></div>`;
}

function toolbarHTML(w, sort, withMedia, filtered) {
  const options = SORTS.map(([value, key]) => `<option value="${value}"${value === sort ? " selected" : ""}>${esc(w.s(key))}</option>`).join("");
  return `<div class="bar2" part="toolbar"><label>${esc(w.s("sort"))}<select data-act="sort">${options}</select></label>` +
    `<label><input type="checkbox" data-act="photos"${withMedia ? " checked" : ""}> ${esc(w.s("withPhotos"))}</label>` +
    `<button type="button" class="link" data-act="all"${filtered ? "" : " hidden"}>${esc(w.s("showAll"))}</button></div>`;
}

// Lengths in code points, as the API counts them.
export function shortText(text) {
  const chars = [...text];
  if (chars.length <= MAX_TEXT) return text;
  const cut = chars.slice(0, MAX_TEXT).join("");
  const i = cut.lastIndexOf(" ");
  return (i >= 0 && [...cut.slice(0, i)].length > MAX_TEXT - 80 ? cut.slice(0, i) : cut).trimEnd() + "…";
}

function reviewHTML(w, r) {
  const author = r.author || w.s("anonymous");
  const content = r.content || "";
  const long = [...content].length > MAX_TEXT;
  const media = (r.media || []).map((m, i, all) =>
    `<li><button type="button" class="th" data-act="zoom" data-i="${i}"><img src="${esc(m.thumbnail_url || m.url)}" alt="${esc(w.s("photo", { i: i + 1, n: all.length, a: author }))}" loading="lazy" width="72" height="72"></button></li>`).join("");
  const reply = r.reply && r.reply.content ? `<div class="rp" part="reply"><p class="rpt">${esc(w.s("reply"))}</p><p>${esc(r.reply.content)}</p></div>` : "";
  return `<li class="rv" part="review" data-id="${esc(r.id)}" tabindex="-1"><div class="hd"><span class="au" part="author">${esc(author)}</span>` +
    (r.author_country ? `<span class="cnt">${esc(r.author_country)}</span>` : "") +
    (r.is_verified ? `<span class="vf" part="verified">✓ ${esc(w.s("verified"))}</span>` : "") +
    `<time class="dt" datetime="${esc(String(r.commented_at || "").slice(0, 10))}">${esc(w.day(r.commented_at))}</time></div>` +
    starsHTML(w, r.rating) +
    (r.title ? `<h3 class="tt" part="review-title">${esc(r.title)}</h3>` : "") +
    `<p class="tx" part="review-text">${esc(long ? shortText(content) : content)}</p>` +
    (long ? `<button type="button" class="link" data-act="expand" aria-expanded="false">${esc(w.s("readMore"))}</button>` : "") +
    (r.item_type ? `<p class="item">${esc(r.item_type)}</p>` : "") +
    (media ? `<ul class="media" part="media">${media}</ul>` : "") + reply +
    (VIA.includes(r.collected_via) && r.collected_via !== "api" ? `<p class="via">${esc(w.s(`via_${r.collected_via}`))}</p>` : "") +
    `</li>`;
}

function moreHTML(w, more) {
  return `<button type="button" class="btn sec more" part="load-more" data-act="more"${more ? "" : " hidden"}>${esc(w.s("more"))}</button>`;
}

// The whole element for a state; the server renders the same for its first state.
export function widgetHTML(w, rating, page, opts = {}) {
  const filter = opts.filter || new Set();
  const list = page.list || [];
  const count = rating.review_count || 0;
  const more = Boolean(page.page && (page.page.next_cursor || page.page.page < page.page.total_page));
  return `<section class="w" part="container" aria-label="${esc(w.s("heading"))}"><h2 class="h" part="heading">${esc(w.s("heading"))}</h2>` +
    `<div data-r="sum">${summaryHTML(w, rating, filter)}</div><div data-r="how" id="how" class="how" part="notice" hidden></div><div data-r="form" id="fw"></div>` +
    (count ? toolbarHTML(w, opts.sort || "featured", opts.withMedia, filter.size > 0 || opts.withMedia) : "") +
    `<p class="sr" role="status" data-r="status"></p>` +
    `<ol class="list" part="list" data-r="list">${list.map((r) => reviewHTML(w, r)).join("")}</ol>` +
    (count && !list.length ? `<p class="empty" data-r="none">${esc(w.s("noMatch"))}</p>` : "") +
    moreHTML(w, more) + `</section>`;
}

// --- <shopreviews-reviews> ---------------------------------------------------------------------

class ShopreviewsReviews extends HTMLElement {
  static observedAttributes = ["shop", "product-id", "store", "lang", "api-base", "page-size"];

  connectedCallback() {
    if (this.started) return;
    this.started = true;
    if (!this.shadowRoot) this.attachShadow({ mode: "open" });
    adopt(this.shadowRoot);
    this.w = new Words(this);
    this.sort = "featured"; this.filter = new Set(); this.withMedia = false;
    this.shadowRoot.addEventListener("click", (e) => this.click(e));
    this.shadowRoot.addEventListener("change", (e) => this.change(e));
    const initial = this.querySelector("script[data-shopreviews-initial]");
    let data = null;
    try { data = initial && JSON.parse(initial.textContent); } catch { data = null; }
    if (data && data.reviews && data.rating) this.show(data.rating, data.reviews);
    else this.load();
    this.watchView();
  }

  attributeChangedCallback(name, old, value) {
    if (this.started && old !== value && name !== "api-base") { this.w = new Words(this); this.load(); }
  }

  $(ref) { return this.shadowRoot.querySelector(`[data-r="${ref}"]`); }

  query(extra = {}) {
    const q = new URLSearchParams();
    if (this.hasAttribute("store")) q.set("is_store_review", "1");
    else if (this.getAttribute("product-id")) q.set("product_id", this.getAttribute("product-id"));
    for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== "") q.set(k, v);
    return q;
  }

  listQuery(extra) {
    return this.query({
      sort_by: this.sort, rating: [...this.filter].sort().reverse().join(","),
      with_media: this.withMedia ? "1" : "", page_size: this.getAttribute("page-size") || "", ...extra,
    });
  }

  async load() {
    const base = shopPath(this);
    if (!this.rating) this.shadowRoot.innerHTML = `<p>${esc(this.w.s("loading"))}</p>`;
    try {
      const [rating, page] = await Promise.all([
        call(`${base}/rating?${this.query()}`), call(`${base}/reviews?${this.listQuery()}`),
      ]);
      this.show(rating, page);
    } catch {
      this.shadowRoot.innerHTML = "";
    }
  }

  show(rating, page) {
    this.rating = rating; this.page = page.page; this.reviews = [...(page.list || [])];
    this.shadowRoot.innerHTML = widgetHTML(this.w, rating, page, { sort: this.sort, filter: this.filter, withMedia: this.withMedia });
  }

  async reload(eventType, init) {
    if (eventType) track(this, eventType);
    const all = this.shadowRoot.querySelector('[data-act="all"]');
    if (all) all.hidden = !(this.filter.size || this.withMedia);
    for (const b of this.shadowRoot.querySelectorAll(".row")) b.setAttribute("aria-pressed", this.filter.has(Number(b.dataset.star)));
    try {
      const page = await call(`${shopPath(this)}/reviews?${this.listQuery()}`, init);
      this.page = page.page; this.reviews = [...page.list];
      this.$("list").innerHTML = page.list.map((r) => reviewHTML(this.w, r)).join("");
      this.$("none")?.remove();
      if (!page.list.length) this.$("list").insertAdjacentHTML("afterend", `<p class="empty" data-r="none">${esc(this.w.s("noMatch"))}</p>`);
      this.moreState();
      this.$("status").textContent = this.w.s("shown", { n: this.w.int.format(page.page.count) });
    } catch { /* the list stays as it was */ }
  }

  moreState() {
    const p = this.page;
    this.shadowRoot.querySelector('[data-act="more"]').hidden = !(p && (p.next_cursor || p.page < p.total_page));
  }

  async more(button) {
    const p = this.page;
    button.disabled = true;
    try {
      const next = await call(`${shopPath(this)}/reviews?${this.listQuery(p.next_cursor ? { cursor: p.next_cursor } : { page: String(p.page + 1) })}`);
      track(this, "PAGINATION");
      this.page = next.page; this.reviews.push(...next.list);
      const list = this.$("list");
      const before = list.children.length;
      list.insertAdjacentHTML("beforeend", next.list.map((r) => reviewHTML(this.w, r)).join(""));
      list.children[before]?.focus();
    } catch { /* stays */ }
    button.disabled = false;
    this.moreState();
  }

  review(el) { const li = el.closest(".rv"); return [li, this.reviews.find((r) => String(r.id) === li.dataset.id)]; }

  click(e) {
    const b = e.target.closest("button");
    if (!b) return;
    const act = b.dataset.act;
    if (b.classList.contains("row")) {
      const star = Number(b.dataset.star);
      this.filter.has(star) ? this.filter.delete(star) : this.filter.add(star);
      this.reload("FILTER_REVIEW");
    } else if (act === "all") {
      this.filter.clear(); this.withMedia = false;
      this.shadowRoot.querySelector('[data-act="photos"]').checked = false;
      this.reload("FILTER_REVIEW");
      this.shadowRoot.querySelector(".row, select")?.focus();
    } else if (act === "more") this.more(b);
    else if (act === "expand") {
      const [li, r] = this.review(b);
      const open = b.getAttribute("aria-expanded") !== "true";
      li.querySelector(".tx").textContent = open ? r.content : shortText(r.content);
      b.setAttribute("aria-expanded", open); b.textContent = this.w.s(open ? "readLess" : "readMore");
      if (open) track(this, "EXPAND_CONTENT", r.id);
    } else if (act === "zoom") {
      const [, r] = this.review(b);
      this.lightbox(r, Number(b.dataset.i), b);
    } else if (act === "how") this.notice(b);
    else if (act === "write") this.openForm(b);
  }

  change(e) {
    const act = e.target.dataset.act;
    if (act === "sort") { this.sort = e.target.value; this.reload("SORT_REVIEW"); }
    else if (act === "photos") { this.withMedia = e.target.checked; this.reload("FILTER_REVIEW"); }
  }

  notice(button) {
    const box = this.$("how");
    const open = box.hidden;
    if (open) {
      const w = this.w, r = this.rating || {}, via = r.collected_via || {};
      const total = VIA.reduce((sum, k) => sum + (via[k] || 0), 0);
      const pct = new Intl.NumberFormat(w.locale, { style: "percent" });
      const rows = total ? VIA.filter((k) => via[k]).map((k) => `<li>${esc(w.s(`via_${k}`))}: ${esc(pct.format(via[k] / total))}</li>`).join("") : "";
      box.innerHTML = `<p>${esc(r.reviews_disclosure || w.s("notice"))}</p>` + (rows ? `<p>${esc(w.s("share"))}</p><ul>${rows}</ul>` : "");
    }
    box.hidden = !open;
    button.setAttribute("aria-expanded", open);
  }

  // The lightbox: a modal <dialog> (focus moves in, Escape closes, focus returns to the thumbnail).
  lightbox(r, index, opener) {
    const w = this.w, media = r.media || [];
    let dialog = this.shadowRoot.querySelector("dialog");
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.setAttribute("part", "lightbox");
      this.shadowRoot.querySelector("section").append(dialog);
      dialog.addEventListener("close", () => this.opener?.focus());
      dialog.addEventListener("keydown", (e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") { e.preventDefault(); this.showPhoto(this.index + (e.key === "ArrowRight" ? 1 : -1)); }
      });
      dialog.addEventListener("click", (e) => {
        const act = e.target.closest("button")?.dataset.act;
        if (act === "close") dialog.close();
        else if (act === "prev" || act === "next") this.showPhoto(this.index + (act === "next" ? 1 : -1));
      });
    }
    this.opener = opener; this.shown = r; this.index = index;
    dialog.setAttribute("aria-label", w.s("photo", { i: index + 1, n: media.length, a: r.author || w.s("anonymous") }));
    this.showPhoto(index);
    if (!dialog.open) dialog.showModal();
    dialog.querySelector('[data-act="close"]').focus();
    track(this, "CLICK_MEDIA", r.id);
  }

  showPhoto(index) {
    const w = this.w, r = this.shown, media = r.media || [], n = media.length;
    this.index = (index + n) % n;
    const m = media[this.index], author = r.author || w.s("anonymous");
    const label = w.s("photo", { i: this.index + 1, n, a: author });
    const dialog = this.shadowRoot.querySelector("dialog");
    dialog.setAttribute("aria-label", label);
    const nav = n > 1 ? `<button type="button" class="btn sec" data-act="prev">${esc(w.s("prev"))}</button><button type="button" class="btn sec" data-act="next">${esc(w.s("next"))}</button>` : "";
    dialog.innerHTML = (m.type === 2 ? `<video src="${esc(m.url)}" controls aria-label="${esc(label)}"></video>` : `<img src="${esc(m.url)}" alt="${esc(label)}">`) +
      `<div class="lbb"><span>${esc(label)}</span>${nav}<button type="button" class="btn" data-act="close">${esc(w.s("close"))}</button></div>`;
    if (dialog.open) dialog.querySelector(`[data-act="${n > 1 ? "next" : "close"}"]`)?.focus();
  }

  // --- the "Write a review" form ---

  openForm(button) {
    const holder = this.$("form");
    if (holder.firstChild) { holder.querySelector("input, textarea")?.focus(); return; }
    const w = this.w;
    const stars = [1, 2, 3, 4, 5].map((n) => `<input type="radio" name="rating" value="${n}" id="r${n}"><label for="r${n}"><span class="stars" aria-hidden="true"></span><span class="sr">${esc(w.n("stars", n))}</span></label>`).join("");
    const field = (name, type, label, attrs = "") => `<div class="field"><label for="f-${name}">${esc(w.s(label))}</label>` +
      (type === "textarea" ? `<textarea id="f-${name}" name="${name}" ${attrs}></textarea>` : `<input type="${type}" id="f-${name}" name="${name}" ${attrs}>`) +
      `<p class="err" id="e-${name}" hidden></p></div>`;
    holder.innerHTML = `<form class="form" part="form" novalidate aria-labelledby="fh"><h3 id="fh" class="tt">${esc(w.s("write"))}</h3>` +
      `<p class="alert" role="alert" data-r="alert"></p>` +
      `<fieldset class="rate" aria-describedby="e-rating"><legend>${esc(w.s("yourRating"))}</legend>${stars}<p class="err" id="e-rating" hidden></p></fieldset>` +
      field("title", "text", "title", 'maxlength="150" autocomplete="off"') + field("content", "textarea", "content", 'maxlength="5000" required') +
      field("author", "text", "author", 'maxlength="100" autocomplete="name" required') + field("author_email", "email", "email", 'autocomplete="email" required') +
      `<div class="field"><label for="f-photos">${esc(w.s("photos"))}</label><input type="file" id="f-photos" accept="image/*" multiple><ul class="pics" data-r="pics"></ul><p class="err" id="e-media" hidden></p></div>` +
      `<div class="hp" aria-hidden="true"><label for="f-website">${esc(w.s("honeypot"))}</label><input type="text" id="f-website" name="website" tabindex="-1" autocomplete="off"></div>` +
      `<div class="fbtn"><button type="submit" class="btn">${esc(w.s("submit"))}</button><button type="button" class="btn sec" data-act="cancel">${esc(w.s("cancel"))}</button></div></form>`;
    const form = holder.firstChild;
    this.photos = [];
    form.addEventListener("change", (e) => {
      if (e.target.name === "rating") form.querySelector(".rate").dataset.v = e.target.value;
      if (e.target.id === "f-photos") this.addPhotos(e.target);
    });
    form.addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (b?.dataset.act === "cancel") this.closeForm();
      else if (b?.dataset.act === "unphoto") { this.photos[Number(b.dataset.i)].gone = true; b.closest("li").remove(); form.querySelector("#f-photos").focus(); }
    });
    form.addEventListener("submit", (e) => { e.preventDefault(); this.submit(form); });
    for (const b of this.shadowRoot.querySelectorAll('[data-act="write"]')) b.setAttribute("aria-expanded", "true");
    form.querySelector("#r5").focus();
  }

  closeForm() {
    this.$("form").innerHTML = "";
    const b = this.shadowRoot.querySelector('[data-act="write"]');
    for (const x of this.shadowRoot.querySelectorAll('[data-act="write"]')) x.setAttribute("aria-expanded", "false");
    b?.focus();
  }

  async policy() {
    const now = Date.now() / 1000;
    if (!this.pol || Number(this.pol.expire) - 60 < now || this.pol.used >= MAX_PHOTOS) {
      this.pol = await call(`${shopPath(this)}/image_upload_policy`); this.pol.used = 0;
    }
    this.pol.used++;
    return this.pol;
  }

  addPhotos(input) {
    const w = this.w, list = this.$("pics"), err = this.shadowRoot.querySelector("#e-media");
    err.hidden = true;
    for (const file of [...input.files]) {
      if (this.photos.filter((p) => !p.gone).length >= MAX_PHOTOS) break;
      if (!file.type.startsWith("image/") || file.size > MAX_PHOTO_BYTES) { err.textContent = w.s("badPhoto"); err.hidden = false; continue; }
      const i = this.photos.length, photo = { file };
      this.photos.push(photo);
      list.insertAdjacentHTML("beforeend", `<li><img src="${esc(URL.createObjectURL(file))}" alt="${esc(file.name)}"><progress max="100" value="0" aria-label="${esc(w.s("uploading", { i: i + 1 }))}"></progress><button type="button" class="link" data-act="unphoto" data-i="${i}">${esc(w.s("remove", { i: i + 1 }))}</button></li>`);
      photo.bar = list.lastElementChild.querySelector("progress");
      photo.done = this.upload(photo).catch(() => { photo.failed = true; err.textContent = w.s("uploadFailed"); err.hidden = false; });
    }
    input.value = "";
  }

  async upload(photo) {
    const pol = await this.policy();
    const name = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${photo.file.name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-60)}`;
    const form = new FormData();
    for (const [k, v] of Object.entries(pol.fields || {})) form.append(k, v);
    form.append("file", photo.file, /\.(jpe?g|png|gif|webp|heic|heif|avif)$/i.test(name) ? name : `${name}.jpg`);
    const key = (pol.fields.key || "").replace("${filename}", form.get("file").name);
    photo.url = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", pol.upload_url);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) photo.bar.value = Math.round((e.loaded / e.total) * 100); };
      xhr.onload = () => {
        if (xhr.status >= 300) return reject(new Error(String(xhr.status)));
        let url = `${pol.host}/${key}`;
        try { const body = JSON.parse(xhr.responseText); if (body.code !== 0) return reject(new Error(body.message)); url = body.data.url || url; } catch { /* S3 answers XML */ }
        photo.bar.value = 100;
        resolve(url);
      };
      xhr.onerror = () => reject(new Error("network"));
      xhr.send(form);
    });
  }

  fieldError(form, name, text) {
    const err = form.querySelector(`#e-${name}`);
    const input = name === "rating" ? null : form.querySelector(`#f-${name === "media" ? "photos" : name}`);
    if (err) { err.textContent = text; err.hidden = false; }
    if (input) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", `e-${name}`); }
    return input || form.querySelector("#r1");
  }

  async submit(form) {
    const w = this.w, v = (n) => (form.elements[n]?.value || "").trim();
    for (const el of form.querySelectorAll(".err")) el.hidden = true;
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const alert = this.$("alert");
    alert.textContent = "";
    const bad = [];
    if (!form.querySelector("[name=rating]:checked")) bad.push(this.fieldError(form, "rating", w.s("pickRating")));
    if (!v("content")) bad.push(this.fieldError(form, "content", w.s("required")));
    if (!v("author")) bad.push(this.fieldError(form, "author", w.s("required")));
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v("author_email"))) bad.push(this.fieldError(form, "author_email", w.s(v("author_email") ? "badEmail" : "required")));
    if (bad.length) { alert.textContent = w.s("fix"); bad[0].focus(); return; }
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const photos = this.photos.filter((p) => !p.gone);
      await Promise.all(photos.map((p) => p.done));
      if (photos.some((p) => p.failed)) throw new ApiFailure(3, "media");
      const body = {
        rating: Number(form.querySelector("[name=rating]:checked").value), title: form.elements.title.value,
        content: form.elements.content.value, author: v("author"), author_email: v("author_email"),
        media: photos.map((p) => p.url), website: form.elements.website.value,
      };
      if (this.hasAttribute("store")) body.is_store_review = 1; else body.product_id = this.getAttribute("product-id");
      const result = await call(`${shopPath(this)}/reviews`, { method: "POST", body: JSON.stringify(body) });
      this.$("form").innerHTML = `<div class="done" part="result" role="status" tabindex="-1" data-status="${esc(result.status)}"><p>${esc(w.s(result.status === "published" ? "published" : "pending"))}</p></div>`;
      this.$("form").firstChild.focus();
      if (result.status === "published") this.refresh();
    } catch (error) {
      button.disabled = false;
      if (error.code === 3) {
        const detail = error.message.replace(/^[^:]*:\s*/, "");
        const name = FIELDS.find((f) => new RegExp(`\\b${f}\\b`).test(detail)) || "content";
        const input = this.fieldError(form, name, w.locale.startsWith("en") ? detail : w.s("check"));
        alert.textContent = w.s("fix");
        input.focus();
      } else {
        alert.textContent = w.s({ 6: "dup", 7: "denied", 8: "limited" }[error.code] || "failed");
      }
    }
  }

  // After a published review: the new rating and first page, the form's thanks kept. The
  // browser may hold the earlier answers (cached for 60 s): revalidate them (ETag, 304).
  async refresh() {
    const fresh = { cache: "no-cache" };
    try {
      const rating = await call(`${shopPath(this)}/rating?${this.query()}`, fresh);
      this.rating = rating;
      this.$("sum").innerHTML = summaryHTML(this.w, rating, this.filter);
      for (const x of this.shadowRoot.querySelectorAll('[data-act="write"]')) x.hidden = true;
      await this.reload(undefined, fresh);
    } catch { /* the thanks stays */ }
  }

  watchView() {
    if (!("IntersectionObserver" in window)) return;
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); track(this, "VIEW_REVIEW"); }
    });
    seen.observe(this);
  }
}

// --- <shopreviews-stars>: every badge of a page in one `ratings` request per shop ---------------

const pending = new Map(); // "<api>|<shop>" -> badges waiting
let pendingTimer = 0;

function fetchBadges() {
  pendingTimer = 0;
  const groups = [...pending.values()];
  pending.clear();
  for (const badges of groups) {
    const ids = [...new Set(badges.map((b) => b.getAttribute("product-id")).filter(Boolean))];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      call(`${shopPath(badges[0])}/ratings?product_ids=${encodeURIComponent(chunk.join(","))}`).then((data) => {
        const byId = new Map(data.list.map((r) => [String(r.product_id), r]));
        for (const b of badges) if (byId.has(b.getAttribute("product-id"))) b.show(byId.get(b.getAttribute("product-id")));
      }, () => {});
    }
  }
}

class ShopreviewsStars extends HTMLElement {
  static observedAttributes = ["product-id", "shop", "lang", "show-empty"];

  connectedCallback() {
    if (!this.shadowRoot) { this.attachShadow({ mode: "open" }); adopt(this.shadowRoot); }
    if (this.rating && this.rating.product_id === this.getAttribute("product-id")) return this.show(this.rating);
    const key = `${api(this)}|${this.getAttribute("shop")}`;
    if (!pending.has(key)) pending.set(key, []);
    pending.get(key).push(this);
    if (!pendingTimer) pendingTimer = setTimeout(fetchBadges, 0);
  }

  attributeChangedCallback(name, old, value) {
    if (this.shadowRoot && old !== null && old !== value) { this.rating = null; this.connectedCallback(); }
  }

  show(rating) {
    this.rating = rating;
    const w = new Words(this), count = rating.review_count || 0;
    if (!count && !this.hasAttribute("show-empty")) { this.shadowRoot.innerHTML = ""; return; }
    this.shadowRoot.innerHTML = `<span class="badge" part="badge">${starsHTML(w, rating.rating_value, `, ${w.n("count", count)}`)}` +
      `<span class="cnt" part="count" aria-hidden="true">(${esc(w.int.format(count))})</span></span>`;
  }
}

if (!customElements.get("shopreviews-reviews")) customElements.define("shopreviews-reviews", ShopreviewsReviews);
if (!customElements.get("shopreviews-stars")) customElements.define("shopreviews-stars", ShopreviewsStars);
