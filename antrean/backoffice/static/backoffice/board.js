// The display board: htmx replaces the numbers every second; when the newest call changes,
// the number flashes and, once someone switched sound on (browsers need one tap), a chime.
(function () {
  var sound = false, audio = null, last = null;
  function chime() {
    if (!sound) return;
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    [660, 880].forEach(function (freq, i) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = freq; osc.connect(gain); gain.connect(audio.destination);
      var t = audio.currentTime + i * 0.35;
      gain.gain.setValueAtTime(0.0001, t); gain.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3); osc.start(t); osc.stop(t + 0.32);
    });
  }
  function check() {
    var now = document.querySelector("[data-latest]");
    var latest = now ? now.getAttribute("data-latest") : "";
    if (last !== null && latest && latest !== last) {
      now.classList.add("fresh"); chime();
    }
    last = latest;
  }
  document.addEventListener("DOMContentLoaded", function () {
    check();
    var button = document.getElementById("sound");
    if (button) button.addEventListener("click", function () {
      sound = !sound; button.textContent = sound ? "🔔 Bunyi aktif" : "🔕 Aktifkan bunyi";
      if (sound) chime();
    });
  });
  document.addEventListener("htmx:afterSwap", check);
})();
