// The sandbox's stand-in for Stripe.js v3 (served at /api/v1/sandbox/stripe.js when
// CBPORTAL_PAYMENTS=sandbox). It has the calls cbportal's pages use -- Stripe(key),
// elements().create('card'), createPaymentMethod, confirmCardSetup, confirmSepaDebitSetup --
// and posts card or IBAN details to the app's sandbox tokenizer, which plays Stripe's
// servers. The card inputs carry no name or id, so no form submission ever includes them.
(function () {
  var src = (document.currentScript && document.currentScript.src) || "";
  var BASE = src.replace(/\/api\/v1\/sandbox\/stripe\.js.*$/, "");
  // [key, label, hint (clearly not a value), autocomplete, flex, max length]
  var FIELDS = [["number", "Card number", "1234 1234 1234 1234", "cc-number", "1 1 100%", 23],
                ["exp_month", "Month", "MM", "cc-exp-month", "1 1 4em", 2],
                ["exp_year", "Year", "YYYY", "cc-exp-year", "1 1 5em", 4],
                ["cvc", "CVC", "3 or 4 digits", "cc-csc", "1 1 6em", 4]];

  function CardElement(group) { this._group = group; this._box = null; this._inputs = null; }
  CardElement.prototype.mount = function (host) {
    if (typeof host === "string") host = document.querySelector(host);
    if (this._box) throw new Error("This Element is already mounted.");
    var box = document.createElement("div"), inputs = {};
    box.setAttribute("data-sandbox-card", "");
    box.style.cssText = "display:flex;flex-wrap:wrap;gap:8px;align-items:end";
    FIELDS.forEach(function (f) {
      var label = document.createElement("label"), span = document.createElement("span"),
          input = document.createElement("input");
      label.style.cssText = "display:flex;flex-direction:column;font-size:14px;font-weight:500";
      span.textContent = f[1];
      input.type = "text"; input.placeholder = f[2]; input.autocomplete = f[3]; input.inputMode = "numeric";
      input.maxLength = f[5];
      input.style.cssText = "width:100%;box-sizing:border-box;padding:6px 8px;border:1px solid #ccc;" +
                            "border-radius:6px;font:inherit";
      label.style.flex = f[4]; label.style.minWidth = "0";
      if (f[0] === "number") input.addEventListener("input", function () {   // groups of four as typed
        var digits = input.value.replace(/\D/g, "").slice(0, 19);
        input.value = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
      });
      label.appendChild(span); label.appendChild(input); box.appendChild(label);
      inputs[f[0]] = input;
    });
    host.appendChild(box);
    this._box = box; this._inputs = inputs;
  };
  CardElement.prototype.unmount = function () {
    if (this._box) this._box.remove();
    this._box = null; this._inputs = null;
  };
  CardElement.prototype.destroy = function () {
    this.unmount();
    if (this._group._card === this) this._group._card = null;
  };
  CardElement.prototype.on = function () {};
  CardElement.prototype._details = function () {
    if (!this._inputs) return null;
    var v = {};
    Object.keys(this._inputs).forEach(function (k) { v[k] = this._inputs[k].value.replace(/\s+/g, ""); }, this);
    return v;
  };

  async function post(body) {
    try {
      var r = await fetch(BASE + "/api/v1/sandbox/payment_methods", {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
      var j = await r.json().catch(function () { return {}; });
      if (!r.ok) return {error: {code: j.error && j.error.code, message: (j.error && j.error.message) ||
                                                                        "The payment details were refused."}};
      return {paymentMethod: j};
    } catch (e) {
      return {error: {message: "The payment service could not be reached."}};
    }
  }

  window.Stripe = function (key) {
    async function createPaymentMethod(data) {
      data = data || {};
      var body = {type: data.type, billing_details: data.billing_details || null};
      if (data.type === "card") {
        body.card = data.card instanceof CardElement ? data.card._details() : data.card;
        if (!body.card) return {error: {message: "The card form is not mounted."}};
      } else if (data.type === "sepa_debit") {
        body.sepa_debit = {iban: ((data.sepa_debit || {}).iban || "").replace(/\s+/g, "")};
      } else {
        return {error: {message: "Unsupported payment method type."}};
      }
      return post(body);
    }
    async function confirm(type, secret, data) {
      var pm = (data && data.payment_method) || {}, r = await createPaymentMethod(Object.assign({type: type}, pm));
      if (r.error) return {error: r.error};
      return {setupIntent: {id: String(secret).split("_secret_")[0], object: "setup_intent", status: "succeeded",
                            payment_method: r.paymentMethod.id}};
    }
    return {
      _key: key,
      elements: function () {
        return {
          _card: null,
          create: function (type) {
            if (type !== "card") throw new Error("The sandbox has card Elements only; pass {iban} for SEPA.");
            if (this._card) throw new Error("Can only create one Element of type card");
            this._card = new CardElement(this);
            return this._card;
          },
          getElement: function () { return this._card; },
        };
      },
      createPaymentMethod: createPaymentMethod,
      confirmCardSetup: function (secret, data) { return confirm("card", secret, data); },
      confirmSepaDebitSetup: function (secret, data) { return confirm("sepa_debit", secret, data); },
    };
  };
})();
