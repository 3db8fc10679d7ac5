// Live countdowns, ticking in the browser (no server traffic): every element with a
// data-deadline (ISO instant) shows the time left, e.g. "17 h 42 min 05 s", or its
// data-done text once the deadline has passed. React renders these elements empty.
(function () {
  function left(ms) {
    if (ms <= 0) return null;
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60, pad = function (n) { return n < 10 ? "0" + n : "" + n; };
    if (d > 0) return d + " d " + h + " h " + pad(m) + " min";
    if (h > 0) return h + " h " + pad(m) + " min " + pad(sec) + " s";
    return m + " min " + pad(sec) + " s";
  }
  function tick() {
    var nodes = document.querySelectorAll("[data-deadline]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i], when = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(when)) continue;
      var text = left(when - Date.now());
      var shown = text === null ? (el.getAttribute("data-done") || "now") : text;
      if (el.textContent !== shown) el.textContent = shown;   // unchanged text: no mutation, no loop
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  new MutationObserver(tick).observe(document.documentElement, { childList: true, subtree: true });
})();
