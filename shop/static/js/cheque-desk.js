// R-OPS-10: the cheque desk shows the order's agent and expected amount as soon as its
// number is typed (the « Vérifier » button does the same without JavaScript).
(function () {
  "use strict";
  var form = document.getElementById("cheque-form");
  if (!form) { return; }
  var input = form.querySelector("#order_number");
  var out = document.getElementById("cheque-check");
  var url = form.getAttribute("data-check-url");
  var timer = null;
  var asked = "";

  function show(text, ok) {
    out.textContent = "";
    var p = document.createElement("p");
    p.className = ok ? "notice" : "notice notice-warning";
    p.textContent = text;
    out.appendChild(p);
  }

  function look() {
    var value = input.value.trim();
    if (value.length < 5 || value === asked) { return; }
    asked = value;
    fetch(url + "?numero=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (r) {
      if (input.value.trim() !== value) { return; }
      if (!r.ok) { show(r.data.error || "Commande introuvable.", false); return; }
      var d = r.data;
      show("Commande " + d.number + " — agent : " + d.agent + " (" + d.cgos_number +
        ") — montant attendu : " + d.expected + ". " + d.note, true);
    }).catch(function () { asked = ""; });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(look, 300);
  });
  input.addEventListener("change", look);
}());
