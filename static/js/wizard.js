/* Progressive enhancement for the issuance wizard: everything works without this file. */
(function () {
  "use strict";

  function fmt(ms) { return window.CertCenter.countdownText(ms / 1000); }

  // After a refused submit, put the focus on the first field in error (or the message).
  var firstError = document.querySelector('[aria-invalid="true"], .alert[role="alert"]');
  if (firstError) {
    if (!firstError.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA)$/.test(firstError.tagName)) {
      firstError.setAttribute("tabindex", "-1");
    }
    firstError.focus();
  }

  // 전체 동의 ticks every term; unticking one unticks 전체 동의.
  var all = document.querySelector("[data-check-all]");
  if (all) {
    var terms = document.querySelectorAll("[data-term]");
    all.addEventListener("change", function () {
      terms.forEach(function (t) { t.checked = all.checked; });
    });
    terms.forEach(function (t) {
      t.addEventListener("change", function () {
        all.checked = Array.prototype.every.call(terms, function (x) { return x.checked; });
      });
    });
  }

  // Digits only in numeric boxes; move from the front to the back half of the resident number.
  document.querySelectorAll('input[inputmode="numeric"]').forEach(function (input) {
    input.addEventListener("input", function () {
      var clean = input.value.replace(/[^0-9]/g, "");
      if (clean !== input.value) { input.value = clean; }
      if (input.id === "id_rrn_front" && clean.length === 6) {
        var back = document.getElementById("id_rrn_back");
        if (back) { back.focus(); }
      }
    });
  });

  // The server says how many seconds are left; deadlines are counted from page load on this
  // device's clock, so a wrong clock does not matter.
  var loaded = Date.now();
  function deadline(seconds) { return loaded + Number(seconds || 0) * 1000; }

  // Countdowns (a code's or call's remaining time).
  var countdowns = document.querySelectorAll("[data-remaining]");
  countdowns.forEach(function (el) { el.dataset.deadline = deadline(el.dataset.remaining); });
  // The end of the wizard flow (idle, or its maximum age), announced a minute before it happens.
  var idle = document.querySelector("[data-idle-remaining]");
  var idleAt = idle ? deadline(idle.dataset.idleRemaining) : 0;
  var warned = false;
  function tick() {
    var now = Date.now();
    countdowns.forEach(function (el) { el.textContent = fmt(Number(el.dataset.deadline) - now); });
    if (idle) {
      var left = idleAt - now;
      if (left <= 60000 && !warned) {
        warned = true;
        idle.textContent = "곧 시간이 초과됩니다. 남은 시간 " + fmt(left);
      } else if (warned) {
        idle.textContent = "곧 시간이 초과됩니다. 남은 시간 " + fmt(left);
      }
      if (left <= 0) { window.location.href = idle.dataset.idleUrl; }
    }
  }
  if (countdowns.length || idle) { tick(); setInterval(tick, 1000); }

  // Resend button waits for the cooldown.
  document.querySelectorAll("[data-resend-in]").forEach(function (button) {
    if (!Number(button.dataset.resendIn || 0)) { return; }
    var at = deadline(button.dataset.resendIn);
    var label = button.textContent;
    function update() {
      var left = at - Date.now();
      if (left > 0) {
        button.disabled = true;
        button.textContent = label + " (" + fmt(left) + " 후 가능)";
        setTimeout(update, 1000);
      } else {
        button.disabled = false;
        button.textContent = label;
      }
    }
    update();
  });

  // ARS: poll the call's status every 2 s and move on by itself once the handset keyed it in.
  var box = document.getElementById("ars-box");
  var form = document.getElementById("ars-form");
  if (box && form && box.dataset.status === "pending") {
    var statusEl = document.getElementById("ars-status");
    statusEl.textContent = "전화를 받아 숫자를 입력하면 자동으로 다음 단계로 넘어갑니다.";
    var timer = setInterval(function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : { status: "unknown" }; })
        .then(function (data) {
          if (data.status === "pending") { return; }
          clearInterval(timer);
          if (data.status === "verified" || data.status === "reported") {
            // Reported ("본인이 요청하지 않음" on the phone): the server ends the flow and says why.
            statusEl.textContent = data.status === "verified"
              ? "ARS 인증이 완료되었습니다. 다음 단계로 이동합니다."
              : "본인이 요청하지 않은 요청으로 신고되어 진행을 중단합니다.";
            var action = document.createElement("input");
            action.type = "hidden"; action.name = "action"; action.value = "check";
            form.appendChild(action);
            form.submit();
          } else {
            statusEl.textContent = "전화 인증이 완료되지 않았습니다. ‘다시 요청’을 눌러 주세요.";
            // The call is over: its countdown stops at 0:00.
            box.querySelectorAll("[data-deadline]").forEach(function (el) { el.dataset.deadline = 0; });
          }
        })
        .catch(function () { /* the 확인 button still works */ });
    }, 2000);
  }
})();
