// The simulated handset: refresh when something arrives, a tappable keypad, and the call countdown.
// The page works without this file; it only saves the tester from pressing reload.
(function () {
  "use strict";
  var root = document.querySelector("[data-handset-version-url]");
  if (!root) return;
  var versionUrl = root.getAttribute("data-handset-version-url");
  var version = root.getAttribute("data-handset-version");
  var input = root.querySelector(".handset-digits");
  var stale = false;
  // Once the tester submits (입력, 통화 종료), the page is on its way out: a reload now would race
  // the submission and lose its answer ("인증되었습니다").
  var leaving = false;
  document.addEventListener("submit", function () { leaving = true; }, true);

  var keypad = root.querySelector("[data-keypad]");
  if (keypad && input) {
    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-key]");
      if (!button) return;
      var key = button.getAttribute("data-key");
      if (key === "clear") input.value = input.value.slice(0, -1);
      else if (input.value.length < 2) input.value += key;
    });
  }

  // Do not reload under someone who is keying digits in; reload once they stop or submit.
  function busy() {
    return input && input.value !== "" && document.activeElement &&
      (document.activeElement === input || (keypad && keypad.contains(document.activeElement)));
  }

  function poll() {
    fetch(versionUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.version !== version) stale = true;
        if (stale && !busy() && !leaving) window.location.reload();
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);

  var countdown = root.querySelector("[data-countdown]");
  if (countdown) {
    var left = parseInt(countdown.getAttribute("data-countdown"), 10) || 0;
    var timer = window.setInterval(function () {
      left = Math.max(0, left - 1);
      countdown.textContent = window.CertCenter.countdownText(left);
      if (left === 0) { window.clearInterval(timer); stale = true; }
    }, 1000);
  }
})();
