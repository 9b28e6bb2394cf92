// Entry control at the venue's door (R-PAR-8, R-PAR-9). Progressive enhancement of the
// control form: without this script the form posts and the page answers as before.
//
// With it, codes (typed, from a keyboard-wedge scanner, or decoded from the camera by the
// vendored jsQR) are sent with fetch. The session's ticket list is kept on the device —
// each ticket named by SHA-256("<session id>:<normalised code>"), never its code — so that
// when the network fails the page decides alone, queues the scan (with its time and this
// device's id) and sends the queue when the network comes back. The server applies queued
// scans in scan-time order and answers conflicts (a ticket admitted twice).
(function () {
  "use strict";
  var form = document.querySelector("form[data-door]");
  if (!form || !window.fetch || !window.JSON || !window.Promise) { return; }

  var cfg = form.dataset;
  var sid = cfg.session;
  var field = form.querySelector("input[name=code]");
  var csrf = form.querySelector("input[name=csrf_token]");
  var slot = document.getElementById("scan-result-slot");
  var counter = document.getElementById("control-count");
  var banner = document.getElementById("door-offline");
  var conflictBox = document.getElementById("door-conflicts");
  var listInfo = document.getElementById("door-list");
  var labels = { inconnu: "Inconnu hors ligne" };  // the others come with the ticket list
  var ICONS = { valide: "✔", deja_utilise: "⚠", autre_seance: "⚠", invalide: "✖", inconnu: "?" };
  var OFFLINE_MESSAGES = {
    valide: "Billet valide : entrée autorisée (décision hors ligne).",
    deja_utilise: "Billet déjà utilisé (décision hors ligne).",
    invalide: "Billet annulé ou remplacé : refusé (décision hors ligne).",
    inconnu: "Billet absent de la liste de cette séance : refusé. Il sera vérifié au retour du réseau."
  };
  var RETRY_MS = parseInt(cfg.retryMs || "10000", 10);
  var REPEAT_MS = 4000; // the same code decoded again within this delay is ignored

  // -- storage on the device -------------------------------------------------------------
  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ }
  }
  var KEYS = {
    list: "door:list:" + sid,
    queue: "door:queue:" + sid,
    seen: "door:seen:" + sid,
    conflicts: "door:conflicts:" + sid
  };

  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  // Other sessions' lists (names of holders) are not kept longer than their queue.
  function forgetOtherSessions() {
    try {
      var stale = [];
      for (var i = 0; i < window.localStorage.length; i += 1) {
        var key = window.localStorage.key(i);
        var m = /^door:list:(\d+)$/.exec(key || "");
        if (m && m[1] !== sid && !load("door:queue:" + m[1], []).length) { stale.push(m[1]); }
      }
      stale.forEach(function (other) {
        ["list", "queue", "seen", "conflicts"].forEach(function (part) {
          window.localStorage.removeItem("door:" + part + ":" + other);
        });
      });
    } catch (e) { /* no storage: nothing kept */ }
  }
  forgetOtherSessions();
  var device = load("door:device", null);
  if (!device) { device = "dev-" + randomId(); save("door:device", device); }

  // Mirrors partners.rules.normalise_ticket_code: separators and case ignored.
  function normalise(raw) {
    return String(raw || "").replace(/[\s\u00a0\u202f.\-_]+/g, "").toUpperCase();
  }
  function ticketHash(code) {
    if (!window.crypto || !window.crypto.subtle || !window.TextEncoder) {
      return Promise.resolve(null);
    }
    var data = new TextEncoder().encode(sid + ":" + normalise(code));
    return window.crypto.subtle.digest("SHA-256", data).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    });
  }
  function timeFr(ms) {
    return new Date(ms).toLocaleString("fr-FR", {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
      timeZone: "Europe/Paris"  // as the store prints every time
    });
  }

  // -- what the page shows ---------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function showResult(r, offline) {
    var box = el("div", "scan-result scan-" + r.verdict);
    box.setAttribute("role", "alert");
    box.setAttribute("data-verdict", r.verdict);
    var head = el("p", "scan-verdict");
    var icon = el("span", null, ICONS[r.verdict] || "");
    icon.setAttribute("aria-hidden", "true");
    head.appendChild(icon);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("strong", null, r.label || labels[r.verdict] || r.verdict));
    box.appendChild(head);
    box.appendChild(el("p", null, r.message));
    if (r.verdict === "deja_utilise" && r.used_at_fr) {
      box.appendChild(el("p", "scan-first", "Premier passage le " + r.used_at_fr + "."));
    }
    if (r.holder) {
      var dl = el("dl", "scan-details");
      var rows = [];
      if (r.title) { rows.push(["Événement", r.title]); }
      if (r.title) { rows.push(["Séance", r.starts_at_fr || "Billet non daté"]); }
      if (r.venue) { rows.push(["Lieu", r.venue]); }
      rows.push(["Titulaire", r.holder]);
      rows.push(["Billet", r.ticket_number + (r.order_number ? " — commande " + r.order_number : "")]);
      rows.forEach(function (row) {
        dl.appendChild(el("dt", null, row[0]));
        dl.appendChild(el("dd", null, row[1]));
      });
      box.appendChild(dl);
    }
    if (offline) {
      box.appendChild(el("p", "scan-offline-note", "Hors ligne : décision prise sur cet appareil."));
    }
    slot.textContent = "";
    slot.appendChild(box);
    if (window.scanFeedback) { window.scanFeedback(r.verdict); }
  }
  function showCounts(data) {
    if (typeof data.admitted !== "number") { return; }
    counter.textContent = "";
    counter.appendChild(el("strong", null,
      data.admitted + " entré" + (data.admitted > 1 ? "s" : "") + " / " +
      data.expected + " attendu" + (data.expected > 1 ? "s" : "")));
  }
  function showBanner() {
    var n = load(KEYS.queue, []).length;
    var offline = !navigator.onLine || lastFailed || listFailed;
    if (!offline && n === 0) { banner.hidden = true; return; }
    banner.hidden = false;
    banner.classList.toggle("door-syncing", !offline);
    var state = offline ? "Hors ligne"
      : syncRefused ? "Envoi refusé : rechargez la page (reconnectez-vous si besoin)"
      : "Synchronisation";
    banner.textContent = state + " — " + n + " scan" + (n > 1 ? "s" : "") + " en attente";
  }
  function showConflicts() {
    var conflicts = load(KEYS.conflicts, []);
    var list = conflictBox.querySelector("ul");
    list.textContent = "";
    conflicts.forEach(function (c) { list.appendChild(el("li", null, c)); });
    conflictBox.hidden = conflicts.length === 0;
  }
  function showListInfo() {
    var kept = load(KEYS.list, null);
    listInfo.textContent = kept
      ? "Liste hors ligne : " + kept.tickets.length + " billet" +
        (kept.tickets.length > 1 ? "s" : "") + ", prise le " + timeFr(kept.kept_at) + "."
      : "Liste hors ligne non chargée : sans réseau, les billets seront « inconnus ».";
  }
  function focusField() {
    field.focus();
  }

  // -- the ticket list -------------------------------------------------------------------
  var listFailed = false;
  function refreshList() {
    return fetch(cfg.ticketsUrl, { credentials: "same-origin", cache: "no-store",
                                   headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok || (resp.headers.get("Content-Type") || "").indexOf("json") < 0) {
          return null;
        }
        return resp.json();
      })
      .then(function (data) {
        if (!data) { return; }
        listFailed = false;
        save(KEYS.list, { kept_at: Date.now(), tickets: data.tickets, labels: data.labels });
        labels = data.labels;
        showCounts(data);
        showListInfo();
      })
      .catch(function () {
        // Offline (the page itself may come from the device's copy): the kept list serves.
        listFailed = true;
        showBanner();
      });
  }

  function decideLocally(code) {
    var kept = load(KEYS.list, null);
    if (kept && kept.labels) { labels = kept.labels; }
    return ticketHash(code).then(function (hash) {
      var ticket = null;
      if (kept && hash) {
        for (var i = 0; i < kept.tickets.length; i += 1) {
          if (kept.tickets[i].hash === hash) { ticket = kept.tickets[i]; break; }
        }
      }
      var r = { hash: hash, verdict: "inconnu" };
      if (ticket) {
        r.holder = ticket.holder;
        r.ticket_number = ticket.number;
        var seen = load(KEYS.seen, {});
        if (ticket.status === "cancelled") {
          r.verdict = "invalide";
        } else if (ticket.status === "used" || seen[hash]) {
          r.verdict = "deja_utilise";
          r.used_at_fr = ticket.used_at_fr || (seen[hash] ? timeFr(seen[hash]) : null);
        } else {
          r.verdict = "valide";
        }
      }
      r.label = labels[r.verdict];
      r.message = OFFLINE_MESSAGES[r.verdict];
      return r;
    });
  }
  function markSeen(code, at) {
    return ticketHash(code).then(function (hash) {
      if (!hash) { return; }
      var seen = load(KEYS.seen, {});
      if (!seen[hash]) { seen[hash] = at; save(KEYS.seen, seen); }
    });
  }

  // -- scanning --------------------------------------------------------------------------
  var lastFailed = false;
  function refused(resp) {
    var failure = new Error("refused");
    failure.refused = true;
    failure.status = resp.status;
    return failure;
  }
  // A page opened from the device's copy (service worker) may hold the token of an older
  // login: the store refuses it (400, not JSON), so ask for the current one, once.
  function freshToken() {
    return fetch(cfg.tokenUrl, { credentials: "same-origin", cache: "no-store",
                                 headers: { Accept: "application/json" } })
      .then(function (resp) {
        var json = (resp.headers.get("Content-Type") || "").indexOf("json") >= 0;
        if (resp.status >= 500) { throw new Error("network"); }
        if (!resp.ok || !json || resp.redirected) { throw refused(resp); }
        return resp.json();
      })
      .then(function (data) {
        Array.prototype.forEach.call(document.querySelectorAll("input[name=csrf_token]"),
                                     function (input) { input.value = data.csrf_token; });
      });
  }
  function post(url, body, retried) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf ? csrf.value : ""
      },
      body: JSON.stringify(body)
    }).then(function (resp) {
      var json = (resp.headers.get("Content-Type") || "").indexOf("json") >= 0;
      if (resp.status >= 500 || resp.status === 429) {
        throw new Error("network");  // the server or its proxy is out: decide here
      }
      if (resp.status === 400 && !json && !retried && csrf && cfg.tokenUrl) {
        return freshToken().then(function () { return post(url, body, true); });
      }
      if (!resp.ok || !json || resp.redirected) { throw refused(resp); }
      return resp.json();
    });
  }
  function refusedMessage(err) {
    var r = {
      verdict: "invalide",
      label: "Non vérifié",
      message: err.status === 422
        ? "Code illisible : saisissez-le à nouveau."
        : "Votre session a expiré : rechargez la page (et reconnectez-vous si besoin)."
    };
    showResult(r, false);
  }

  function queueOffline(item) {
    return decideLocally(item.code).then(function (r) {
      item.verdict = r.verdict;
      var queue = load(KEYS.queue, []);
      queue.push(item);
      save(KEYS.queue, queue);
      if (r.verdict === "valide") { return markSeen(item.code, item.scanned_at).then(function () { return r; }); }
      return r;
    }).then(function (r) {
      lastFailed = true;
      showResult(r, true);
      showBanner();
    });
  }

  function submitCode(code) {
    field.value = "";
    if (!normalise(code)) {
      showResult({ verdict: "invalide", label: "Code manquant",
                   message: "Saisissez ou scannez le code du billet." }, false);
      return Promise.resolve();
    }
    var item = { id: randomId(), code: code, scanned_at: Date.now() };
    if (!navigator.onLine) { return queueOffline(item); }
    return post(cfg.scanUrl, { device_id: device, id: item.id, code: code })
      .then(function (data) {
        lastFailed = false;
        var r = data.result;
        showResult(r, false);
        showCounts(data);
        if (r.verdict === "valide" || r.verdict === "deja_utilise") { markSeen(code, item.scanned_at); }
        showBanner();
        retry();
      })
      .catch(function (err) {
        if (err && err.refused) { refusedMessage(err); return null; }
        return queueOffline(item);
      });
  }

  var syncing = null;  // the sync under way: a logout waits for it
  var syncRefused = false;  // session expired or CSRF token stale: the queue waits
  function sync() {
    if (syncing) { return syncing; }
    var queue = load(KEYS.queue, []);
    if (!queue.length || !navigator.onLine) { showBanner(); return Promise.resolve(); }
    syncing = post(cfg.syncUrl, { device_id: device, scans: queue.slice(0, 500) })
      .then(function (data) {
        lastFailed = false;
        syncRefused = false;
        var done = {};
        var conflicts = load(KEYS.conflicts, []);
        data.results.forEach(function (r) {
          done[r.id] = true;
          if (r.conflict) {
            var who = "billet " + (r.ticket_number || "?") + (r.holder ? " (" + r.holder + ")" : "");
            var line = r.verdict === "invalide"
              ? "Conflit : " + who + " annulé mais admis hors ligne."
              : "Conflit : " + who + " admis deux fois" +
                (r.used_at_fr ? " — premier passage le " + r.used_at_fr : "") + ".";
            if (conflicts.indexOf(line) < 0) { conflicts.push(line); }
          }
        });
        save(KEYS.conflicts, conflicts);
        save(KEYS.queue, load(KEYS.queue, []).filter(function (item) { return !done[item.id]; }));
        showCounts(data);
        showConflicts();
        showBanner();
        return refreshList();
      })
      .catch(function (err) {
        syncRefused = Boolean(err && err.refused);
        lastFailed = !syncRefused;
        showBanner();
      })
      .then(function () { syncing = null; });
    return syncing;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitCode(field.value).then(focusField, focusField);
  });
  // A keyboard-wedge scanner types the code then Enter: the same form, focus kept.
  field.setAttribute("autofocus", "autofocus");
  // Back online: the list first when it could not be taken (the page opened offline).
  function retry() {
    return listFailed ? refreshList().then(sync) : sync();
  }
  window.addEventListener("online", function () { lastFailed = false; retry(); });
  window.addEventListener("offline", showBanner);
  window.setInterval(retry, RETRY_MS);

  // -- camera ----------------------------------------------------------------------------
  var camBox = document.querySelector("[data-door-camera]");
  var startButton = document.getElementById("camera-start");
  var stopButton = document.getElementById("camera-stop");
  var camMessage = document.getElementById("camera-message");
  var video = document.getElementById("camera-video");
  var canvas = document.createElement("canvas");
  var stream = null;
  var timer = null;
  var last = { code: "", at: 0 };
  camBox.hidden = false;

  function cameraMessage(text) { camMessage.textContent = text; }
  function noCamera(text) { cameraMessage(text); focusField(); }  // the typed field stays
  function stopCamera() {
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }
  function decodeFrame() {
    timer = null;
    if (!stream) { return; }
    if (video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale);
      var h = Math.round(video.videoHeight * scale);
      canvas.width = w;
      canvas.height = h;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, w, h);
      var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h,
                              { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        var code = normalise(found.data);
        var now = Date.now();
        var repeated = code === last.code && now - last.at < REPEAT_MS;
        last = { code: code, at: now };  // a ticket held in front of the lens counts once
        if (!repeated) {
          submitCode(found.data).then(function () {
            // A phone's keyboard would cover the picture; a desk's scanner wants the field.
            if (!window.matchMedia("(pointer: coarse)").matches) { focusField(); }
          });
        }
      }
    }
    timer = window.setTimeout(decodeFrame, 150);
  }
  function cameraError(err) {
    var name = err && err.name;
    stopCamera();
    if (name === "NotAllowedError" || name === "SecurityError") {
      noCamera("Accès à la caméra refusé : autorisez-le dans le navigateur, " +
                    "ou saisissez le code (une douchette fonctionne aussi).");
    } else if (name === "NotFoundError" || name === "OverconstrainedError") {
      noCamera("Aucune caméra trouvée sur cet appareil : saisissez le code " +
                    "ou utilisez une douchette.");
    } else {
      noCamera("La caméra n'a pas pu démarrer : saisissez le code " +
                    "ou utilisez une douchette.");
    }
  }
  startButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      noCamera("Caméra indisponible dans ce navigateur (il faut une page sécurisée, " +
                    "https) : saisissez le code ou utilisez une douchette.");
      return;
    }
    if (!window.jsQR) {
      noCamera("Le lecteur de QR code n'a pas pu se charger : saisissez le code.");
      return;
    }
    cameraMessage("Démarrage de la caméra…");
    navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" } } })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        cameraMessage("Caméra active : présentez le QR code du billet.");
        return video.play();
      })
      .then(function () { if (stream && !timer) { decodeFrame(); } })
      .catch(cameraError);
  });
  stopButton.addEventListener("click", function () {
    stopCamera();
    cameraMessage("");
    focusField();
  });

  // A partner's logout clears this device (R-PAR-9): the queue goes first, and what the
  // store could not take is not dropped without a word. The token is refreshed too: the
  // page may come from the device's copy.
  var logoutForm = document.querySelector("form[action$='/deconnexion']");
  if (logoutForm && cfg.tokenUrl) {
    logoutForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var leave = function () {
        var left = load(KEYS.queue, []).length;
        if (!left || window.confirm(left + (left > 1 ? " scans non envoyés seront perdus"
            : " scan non envoyé sera perdu") + ". Se déconnecter quand même ?")) {
          logoutForm.submit();
        }
      };
      sync().then(sync).then(freshToken).then(leave, leave);
    });
  }

  // Without network the page itself opens again from the device's copy (R-PAR-9): a
  // service worker scoped to the control pages keeps them and their files.
  if (navigator.serviceWorker && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope })
      .catch(function () { /* no copy: the page needs the network to open */ });
  }

  showConflicts();
  showListInfo();
  showBanner();
  refreshList().then(sync);
}());
