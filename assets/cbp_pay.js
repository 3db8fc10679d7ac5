// Payment details stay in the browser: the checkout and card pages load Stripe.js (or the
// sandbox's stand-in, which has the same calls) from the element marked data-cbp-pay,
// mount a card Element into [data-cbp-card], and on "Pay" confirm the SetupIntent the
// server made (confirmCardSetup / confirmSepaDebitSetup with the IBAN typed into
// [data-cbp-iban]). The page's state gets back only {id: "pm_..."} or {error: "..."}.
window.cbpPay = window.cbpPay || (function () {
  var scripts = {}, stripe = null, stripeKey = null, elements = null, card = null, mounting = null;

  function config() {
    var el = document.querySelector("[data-cbp-pay]");
    return el && el.getAttribute("data-js") ? {js: el.getAttribute("data-js"), key: el.getAttribute("data-key")} : null;
  }
  function load(url) {
    if (!scripts[url]) scripts[url] = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.onload = resolve;
      s.onerror = function () { delete scripts[url]; reject(new Error("The payment form could not be loaded.")); };
      document.head.appendChild(s);
    });
    return scripts[url];
  }
  async function client() {
    var cfg = config();
    if (!cfg) throw new Error("The payment form is not ready yet.");
    await load(cfg.js);
    if (!stripe || stripeKey !== cfg.key) {
      stripe = window.Stripe(cfg.key); stripeKey = cfg.key; elements = stripe.elements(); card = null;
    }
    return stripe;
  }
  async function mountCard() {
    var host = document.querySelector("[data-cbp-card]");
    if (!host || !config()) return;
    if (card && card._cbpHost === host && host.childElementCount) return;
    await client();
    if (card) { try { card.destroy(); } catch (e) { /* already gone */ } card = null; }
    card = elements.create("card");
    card.mount(host);
    card._cbpHost = host;
  }
  function ensureCard() {
    if (!mounting) mounting = mountCard().catch(function (e) { console.log("cbpPay", e); })
                                         .then(function () { mounting = null; });
    return mounting;
  }
  function answer(r) {
    if (!r) return {error: "The payment provider did not answer."};
    if (r.error) return {error: r.error.message || "The payment details were refused."};
    var pm = r.setupIntent && r.setupIntent.payment_method;
    return pm ? {id: typeof pm === "string" ? pm : pm.id} : {error: "The payment details were not confirmed."};
  }
  async function confirm(kind, secret, billing) {
    try {
      if (kind === "card") {
        await ensureCard();
        if (!card) return {error: "The card form is not ready yet; please try again."};
        return answer(await stripe.confirmCardSetup(secret, {payment_method: {card: card, billing_details: billing}}));
      }
      var input = document.querySelector("[data-cbp-iban]");
      var iban = ((input && input.value) || "").replace(/\s+/g, "").toUpperCase();
      await client();
      return answer(await stripe.confirmSepaDebitSetup(secret, {payment_method: {sepa_debit: {iban: iban},
                                                                                 billing_details: billing}}));
    } catch (e) {
      return {error: (e && e.message) || String(e)};
    }
  }
  new MutationObserver(function () {
    var host = document.querySelector("[data-cbp-card]");
    if (host && !(card && card._cbpHost === host && host.childElementCount)) ensureCard();
  }).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                       attributeFilter: ["data-js"]});
  ensureCard();
  return {confirm: confirm, ready: ensureCard};
})();
