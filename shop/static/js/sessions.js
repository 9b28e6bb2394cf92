// The offer page's session list (R-CAT-3, R-CAT-6), without reloading the page: the
// delivery modes follow the chosen session, and a day of the calendar filters the list.
// Without this script the same form works: the calendar's links filter on the server and
// the cart refuses a delivery mode the session does not offer.
(function () {
  "use strict";
  var section = document.querySelector("[data-sessions]");
  if (!section) { return; }
  var form = section.querySelector("form");
  var rows = Array.prototype.slice.call(section.querySelectorAll(".session-list li"));
  var legend = section.querySelector(".session-choice legend");
  var legendText = legend ? legend.textContent : "";
  var allDates = section.querySelector(".all-dates");

  function deliveryRadios() {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=delivery]"));
  }

  // The delivery modes of the chosen session; the checked one moves to the first open mode.
  function followSession() {
    var chosen = form.querySelector("input[name=session_id]:checked");
    rows.forEach(function (li) {
      li.classList.toggle("selected", !!chosen && li.contains(chosen));
    });
    if (!chosen) { return; }
    var li = chosen.closest("li");
    var modes = (li.getAttribute("data-modes") || "").split(" ");
    var radios = deliveryRadios();
    var checkedOpen = false;
    radios.forEach(function (radio) {
      var open = modes.indexOf(radio.value) !== -1;
      radio.disabled = !open;
      radio.closest(".radio").classList.toggle("mode-closed", !open);
      if (open && radio.checked) { checkedOpen = true; }
    });
    if (!checkedOpen) {
      var first = radios.filter(function (r) { return !r.disabled; })[0];
      if (first) { first.checked = true; }
    }
  }

  // Keep the sessions of ``day`` (an ISO date, "" for all) and say so in the legend.
  function filter(day, label) {
    rows.forEach(function (li) {
      var keep = !day || li.getAttribute("data-day") === day;
      li.hidden = !keep;
      var radio = li.querySelector("input[name=session_id]");
      if (!keep && radio && radio.checked) { radio.checked = false; }
    });
    section.querySelectorAll(".calendar a[data-day]").forEach(function (a) {
      var on = !!day && a.getAttribute("data-day") === day;
      a.parentNode.classList.toggle("chosen", on);
      if (on) { a.setAttribute("aria-current", "date"); } else { a.removeAttribute("aria-current"); }
    });
    if (legend) {
      legend.textContent = day ? "Séance du " + label : legendText.replace(/ du .*$/, "");
    }
    if (allDates) { allDates.hidden = !day; }
    var url = new URL(window.location.href);
    if (day) { url.searchParams.set("jour", day); } else { url.searchParams.delete("jour"); }
    url.searchParams.delete("seance");
    window.history.replaceState(null, "", url.toString());
    followSession();
  }

  section.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-day]");
    if (!link || !section.contains(link)) { return; }
    event.preventDefault();
    var day = link.getAttribute("data-day");
    var label = (link.getAttribute("aria-label") || "").split(" :")[0];
    filter(day, label);
    // Straight to the list: the first session of that day takes the focus.
    var first = rows.filter(function (li) { return !li.hidden; })
      .map(function (li) { return li.querySelector("input[name=session_id]:not(:disabled)"); })
      .filter(Boolean)[0];
    if (first && day) { first.focus(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "session_id") { followSession(); }
  });
  followSession();
}());
