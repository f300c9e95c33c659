/* The one countdown format (m:ss, never below 0:00), shared by wizard.js and handset.js.
   Loaded before them by base.html; the server draws the same with certcenter.durations.countdown_text. */
(function () {
  "use strict";
  window.CertCenter = window.CertCenter || {};
  window.CertCenter.countdownText = function (seconds) {
    var s = Math.max(0, Math.ceil(Number(seconds) || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
})();
