// Entry control (R-PAR-8): a sound and a vibration for the verdict, so the door hears it.
// Static file: the store's CSP allows scripts from 'self' only, never inline.
(function () {
  "use strict";
  function feedback(verdict) {
    var ok = verdict === "valide";
    if (navigator.vibrate) { navigator.vibrate(ok ? 120 : [200, 100, 200]); }
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    try {
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      osc.frequency.value = ok ? 880 : 220;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + (ok ? 0.15 : 0.45));
    } catch (e) { /* no sound: the page still shows the verdict */ }
  }
  // R-PAR-9: door.js calls it for the verdicts it shows without reloading the page.
  window.scanFeedback = feedback;
  var box = document.querySelector("[data-verdict]");
  if (box) { feedback(box.getAttribute("data-verdict")); }
}());
