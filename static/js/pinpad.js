/* The PIN pad (가상 키패드): shows the keypad the server drew in a random order next to a PIN field,
   and fills the field from it. Without this file the field is a plain numeric password box.
   Mouse, touch and keyboard all work: the keys are buttons; digits typed while a key has the focus
   go into the field; Backspace erases, Enter submits. A live region says how many digits are in
   the field — never which. Included once per pad, so it sets each pad up only once. */
(function () {
  "use strict";

  var MAX = 6;

  function digitsOnly(text) {
    // Full-width digits from a Korean IME count as digits; everything else is dropped.
    return text.replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/[^0-9]/g, "").slice(0, MAX);
  }

  function setUp(pad) {
    if (pad.dataset.ready) { return; }
    var input = document.getElementById(pad.dataset.pinPad);
    if (!input) { return; }
    pad.dataset.ready = "1";
    var status = pad.querySelector("[data-pin-status]");
    var form = input.form;

    function announce(extra) {
      var n = input.value.length;
      var text = n ? n + "자리 입력됨" : "입력된 숫자 없음";
      if (n === MAX) { text += ". 입력 완료"; }
      status.textContent = extra ? text + ". " + extra : text;
    }
    function changed(extra) {
      input.dispatchEvent(new Event("input", { bubbles: true }));
      announce(extra);
    }
    function put(digit) {
      if (input.value.length >= MAX) { announce("최대 " + MAX + "자리"); return; }
      input.value += digit;
      changed();
    }
    function erase() { input.value = input.value.slice(0, -1); changed(); }
    function clear() { input.value = ""; changed(); }
    function submit() {
      if (!form) { return; }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }

    pad.addEventListener("click", function (event) {
      var key = event.target.closest("button");
      if (!key || !pad.contains(key)) { return; }
      if (key.dataset.digit !== undefined) { put(key.dataset.digit); }
      else if (key.dataset.pinAction === "backspace") { erase(); }
      else if (key.dataset.pinAction === "clear") { clear(); }
    });
    pad.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (/^[0-9]$/.test(event.key)) { event.preventDefault(); put(event.key); }
      else if (event.key === "Backspace") { event.preventDefault(); erase(); }
      else if (event.key === "Delete") { event.preventDefault(); clear(); }
      // Enter on a focused key would press that key; on the pad it means 확인.
      else if (event.key === "Enter") { event.preventDefault(); submit(); }
    });
    input.addEventListener("input", function () {
      var clean = digitsOnly(input.value);
      if (clean !== input.value) { input.value = clean; }
    });
    pad.hidden = false;
  }

  // One submit per form: a second press would check the PIN again (and could count a wrong try
  // against a PIN the first press had just changed).
  function guardSubmit(form) {
    if (!form || form.dataset.pinGuard) { return; }
    form.dataset.pinGuard = "1";
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
    });
    window.addEventListener("pageshow", function () { delete form.dataset.submitted; });
  }

  document.querySelectorAll("[data-pin-pad]").forEach(function (pad) {
    setUp(pad);
    var input = document.getElementById(pad.dataset.pinPad);
    if (input) { guardSubmit(input.form); }
  });
})();
