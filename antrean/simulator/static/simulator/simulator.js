// The WhatsApp simulator page: everything the person "sends" goes to our own webhook as a
// signed Cloud API payload (the server builds and signs it, the page posts it, as Meta
// would); replies come back through the Graph API stand-in and are polled from here.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const numberSelect = $("number");
  const waInput = $("wa-id");
  const chat = $("chat");
  const problem = $("problem");
  let lastId = 0;
  let generation = 0; // bumped when the chat changes: answers to older polls are dropped
  const shown = new Set();

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? cookie.split("=")[1] : "";
  }

  function randomPhone() {
    return "62812" + String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
  }

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  async function post(url, fields) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const response = await fetch(url, {
      method: "POST", headers: { "X-CSRFToken": csrfToken() }, body: form,
    });
    const data = await response.json().catch(() => ({ error: "HTTP " + response.status }));
    return response.ok ? data : { error: data.error || "HTTP " + response.status };
  }

  // Post a signed body to the webhook exactly as Meta would.
  async function toWebhook(signed) {
    if (!signed.body) return true;
    const response = await fetch("/webhooks/whatsapp", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signed.signature },
      body: signed.body,
    });
    if (!response.ok) say("Webhook menjawab HTTP " + response.status);
    return response.ok;
  }

  async function send(fields) {
    say("");
    const signed = await post("/simulator/api/compose", {
      number: numberSelect.value, wa_id: waInput.value, ...fields,
    });
    if (signed.error) return say(signed.error);
    await toWebhook(signed);
    poll();
  }

  async function receipts(id) {
    for (const status of ["delivered", "read"]) {
      const signed = await post("/simulator/api/receipt", { id, status });
      if (!signed.error) await toWebhook(signed);
    }
  }

  function button(label, onClick, testid) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (testid) b.dataset.testid = testid;
    b.addEventListener("click", onClick);
    return b;
  }

  // WhatsApp's own markup: *bold*. Built from text nodes, never innerHTML.
  function formatted(text) {
    const body = document.createElement("div");
    body.className = "body";
    const parts = text.split(/\*([^*\n]+)\*/);
    parts.forEach((part, index) => {
      if (index % 2) {
        const strong = document.createElement("strong");
        strong.textContent = part;
        body.append(strong);
      } else {
        body.append(document.createTextNode(part));
      }
    });
    return body;
  }

  function render(message) {
    const item = document.createElement("li");
    item.className = "bubble " + message.direction;
    item.dataset.testid = "message-" + message.direction;
    if (message.image) {
      const image = document.createElement("img");
      image.src = message.image;
      image.alt = message.text || "gambar";
      item.append(image);
    }
    item.append(formatted(message.text));
    if (message.buttons) {
      const choices = document.createElement("div");
      choices.className = "choices";
      for (const b of message.buttons) {
        choices.append(button(b.title, () => send({
          kind: "button_reply", reply_id: b.id, title: b.title,
        }), "button"));
      }
      item.append(choices);
    }
    if (message.list) {
      const rows = document.createElement("div");
      rows.className = "rows";
      for (const section of message.list.sections) {
        for (const row of section.rows) {
          const choice = button(row.title, () => {
            rows.classList.remove("open"); // like WhatsApp: the list closes once chosen
            send({ kind: "list_reply", reply_id: row.id, title: row.title });
          }, "list-row");
          if (row.description) {
            const note = document.createElement("small");
            note.textContent = row.description;
            choice.append(note);
          }
          rows.append(choice);
        }
      }
      const choices = document.createElement("div");
      choices.className = "choices";
      choices.append(button("☰ " + message.list.button, () => rows.classList.toggle("open"),
        "list-open"));
      item.append(choices, rows);
    }
    return item;
  }

  let polling = false;
  async function poll() {
    if (polling || !numberSelect.value) return;
    polling = true;
    const asked = generation;
    try {
      const query = new URLSearchParams({
        number: numberSelect.value, wa_id: waInput.value, after: lastId,
      });
      const response = await fetch("/simulator/api/chat?" + query);
      if (!response.ok) return;
      const data = await response.json();
      if (asked !== generation) return; // the chat changed meanwhile
      for (const message of data.messages) {
        if (shown.has(message.id)) continue;
        shown.add(message.id);
        lastId = Math.max(lastId, message.id);
        chat.append(render(message));
        if (message.direction === "out") receipts(message.id);
      }
      if (data.messages.length) chat.scrollTop = chat.scrollHeight;
    } finally {
      polling = false;
    }
  }

  function exampleDate() {
    const day = new Date();
    day.setDate(day.getDate() + 7);
    while (day.getDay() === 0 || day.getDay() === 6) day.setDate(day.getDate() + 1);
    const two = (n) => String(n).padStart(2, "0");
    return two(day.getDate()) + two(day.getMonth() + 1) + day.getFullYear();
  }

  function examples() {
    const box = $("examples");
    box.innerHTML = "";
    const option = numberSelect.selectedOptions[0];
    const batam = option && /Batam/.test(option.dataset.office || "");
    const samples = batam
      ? ["#Budi Santoso#25011987#Jl. Engku Putri No. 3, Batam Centre", "#batal", "halo"]
      : ["#Budi Santoso#25011987#" + exampleDate(), "#batal", "halo"];
    for (const sample of samples) {
      box.append(button(sample, () => { $("text").value = sample; $("text").focus(); }));
    }
  }

  let current = "";
  function reset() {
    const chosen = numberSelect.value + "|" + waInput.value;
    if (chosen === current) return; // the same chat: keep it
    current = chosen;
    generation += 1;
    polling = false;
    localStorage.setItem("sim:wa_id", waInput.value);
    chat.innerHTML = "";
    lastId = 0;
    shown.clear();
    const option = numberSelect.selectedOptions[0];
    $("office-name").textContent = option ? option.dataset.office || "" : "";
    $("office-number").textContent = option ? option.dataset.display || "" : "";
    examples();
    poll();
  }

  waInput.value = localStorage.getItem("sim:wa_id") || randomPhone();
  numberSelect.addEventListener("change", reset);
  waInput.addEventListener("change", reset);
  $("new-phone").addEventListener("click", () => { waInput.value = randomPhone(); reset(); });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    send({ kind: "text", text });
  });
  $("file").addEventListener("change", () => {
    const file = $("file").files[0];
    if (file) send({ kind: "image", file });
    $("file").value = "";
  });
  setInterval(poll, 1000);
  reset();
})();
