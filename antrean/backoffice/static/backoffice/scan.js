// Check-in: read the booking code's QR with the tablet's camera where the browser can
// (BarcodeDetector); a handheld scanner or the keyboard types into the same field.
// A scanner ends each NIK it types with Enter: that moves on to the next NIK field (or
// the checkbox) instead of sending the form half filled.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var niks = Array.prototype.slice.call(document.querySelectorAll("input[data-nik]"));
    niks.forEach(function (nik, i) {
      nik.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        event.preventDefault();
        (niks[i + 1] || document.getElementById("identity_checked")).focus();
      });
    });
    var first = document.querySelector("input[data-nik][aria-invalid=true]") || niks[0];
    if (first) first.focus();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("scan"), field = document.getElementById("code");
    if (!button || !field) return;
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { button.hidden = true; return; }
    button.addEventListener("click", async function () {
      var video = document.getElementById("camera");
      var stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.hidden = false; video.srcObject = stream; await video.play();
      var detector = new BarcodeDetector({ formats: ["qr_code"] });
      var timer = setInterval(async function () {
        var found = await detector.detect(video);
        if (!found.length) return;
        clearInterval(timer); stream.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true; field.value = found[0].rawValue; field.form.submit();
      }, 300);
    });
  });
})();
