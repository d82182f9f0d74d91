// Portico: the idle countdown with its "extend" button, and confirmations
// before destructive actions. Every page also works without this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // At phone width the main menu sits behind its button.
  var toggle = document.querySelector(".menu-toggle");
  var side = document.getElementById("side-nav");
  if (toggle && side) {
    toggle.addEventListener("click", function () {
      var open = side.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  var timer = document.getElementById("idle");
  if (timer) {
    var left = parseInt(timer.getAttribute("data-remaining"), 10) || 0;
    var deadline = Date.now() + left * 1000;
    var show = function () {
      var s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      if (s === 0) { window.location.href = "/login?expired=1"; return; }
      window.setTimeout(show, 1000);
    };
    show();
    var form = document.querySelector("form[data-extend]");
    if (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
        fetch("/session/extend", { method: "POST", headers: { "X-CSRF-Token": token }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
          .then(function (j) { deadline = Date.now() + j.remaining * 1000; })
          .catch(function () { window.location.href = "/login?expired=1"; });
      });
    }
  }
  // Type-ahead for long pickers: the box above a select keeps the options
  // whose name holds what is typed (the box stays hidden without script).
  // A unit's parent picked: its next free OID goes in, unless one was typed.
  document.querySelectorAll("select[data-suggest-oid]").forEach(function (sel) {
    var box = document.getElementById(sel.getAttribute("data-suggest-oid"));
    if (!box) { return; }
    var last = box.value;
    sel.addEventListener("change", function () {
      var o = sel.options[sel.selectedIndex];
      var next = o ? o.getAttribute("data-next-oid") : "";
      if (next && (box.value === "" || box.value === last)) { box.value = next; last = next; }
    });
  });
  document.querySelectorAll("input.select-filter[data-filter-for]").forEach(function (box) {
    var select = document.getElementById(box.getAttribute("data-filter-for"));
    if (!select) { return; }
    box.hidden = false;
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      select.querySelectorAll("option").forEach(function (o) {
        o.hidden = needle !== "" && o.value !== "" && o.textContent.toLowerCase().indexOf(needle) < 0;
      });
      select.querySelectorAll("optgroup").forEach(function (g) {
        g.hidden = Array.prototype.every.call(g.querySelectorAll("option"), function (o) { return o.hidden; });
      });
    });
  });
  // A floor picker follows its place: only the chosen place's floors are
  // offered (without script every place's floors show, each labelled).
  document.querySelectorAll("select[data-floors-of]").forEach(function (floor) {
    var place = document.getElementById(floor.getAttribute("data-floors-of"));
    if (!place) { return; }
    var follow = function () {
      floor.querySelectorAll("optgroup").forEach(function (g) {
        var mine = place.value === "" || g.getAttribute("data-place") === place.value;
        g.hidden = !mine;
        g.disabled = !mine;
      });
      var chosen = floor.options[floor.selectedIndex];
      if (chosen && chosen.parentNode.disabled) { floor.value = ""; }
    };
    place.addEventListener("change", follow);
    follow();
  });
  // A form sent back with errors: the first field to correct has focus,
  // so a keyboard or screen-reader user starts where the work is.
  var firstBad = document.querySelector('form [aria-invalid="true"]');
  if (firstBad) { firstBad.focus(); }
  // A "select all" box in a table header ticks every box of that name.
  document.querySelectorAll("input[data-pick-all]").forEach(function (all) {
    var form = all.form || document;
    var boxes = function () {
      return form.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute("data-pick-all") + '"]');
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
    });
    form.addEventListener("change", function (ev) {
      if (ev.target === all) { return; }
      var list = Array.prototype.slice.call(boxes());
      all.checked = list.length > 0 && list.every(function (b) { return b.checked; });
    });
  });
  // One button of a form asks first (approving a cancellation).
  document.querySelectorAll("button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (ev) {
      if (!window.confirm(b.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // Revoking in an access review asks first, naming how many.
  document.querySelectorAll("form[data-confirm-revoke]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      var revoke = f.querySelector('input[name="action"][value="revoke"]');
      if (!revoke || !revoke.checked) { return; }
      var n = f.querySelectorAll('input[name="items"]:checked').length;
      if (!window.confirm(f.getAttribute("data-confirm-revoke").replace("{n}", n))) { ev.preventDefault(); }
    });
  });
  // 004 §參: the unit is picked under the 府內單位 / 府外機關 / 區公所 tabs.
  // Without the script the tabs stay hidden and the list shows every group.
  document.querySelectorAll("[data-unit-tabs]").forEach(function (tabs) {
    var select = document.getElementById("unit");
    if (!select) { return; }
    tabs.hidden = false;
    tabs.addEventListener("change", function (ev) {
      var want = ev.target.value;
      select.querySelectorAll("optgroup").forEach(function (g) {
        var show = !want || g.label.indexOf(want) === 0;
        g.hidden = !show;
        g.disabled = !show;
      });
      var chosen = select.options[select.selectedIndex];
      if (chosen && chosen.parentNode.disabled) { select.value = ""; }
    });
  });
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (ev) { ev.preventDefault(); history.back(); });
  });
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
// Passkeys (WebAuthn): registering one on the personal page, signing in
// with one. Binary fields travel as base64url, as the server's library
// writes and reads them.
(function () {
  "use strict";
  if (!document.querySelector("[data-passkey-register], [data-passkey-sign-in], [data-card-bind], [data-card-sign-in], [data-card-verify], [data-mobile-id]")) { return; }
  var lang = document.documentElement.lang === "en" ? "en" : "zh";
  var b64 = function (buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  var unb64 = function (s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  };
  var csrf = function () {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  };
  var post = function (url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw j; }
        return j;
      });
    });
  };
  var say = function (el, err) {
    var m = err && err.message ? (err.message[lang] || err.message.zh) : "";
    if (!m) {
      m = lang === "en" ? "The passkey was not used. Try again." : "未使用通行金鑰，請再試一次。";
    }
    el.textContent = m;
    el.hidden = false;
  };
  var credentialJson = function (c) {
    var r = c.response, out = {
      id: c.id, rawId: b64(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: b64(r.clientDataJSON) }
    };
    if (r.attestationObject) { out.response.attestationObject = b64(r.attestationObject); }
    if (r.authenticatorData) {
      out.response.authenticatorData = b64(r.authenticatorData);
      out.response.signature = b64(r.signature);
      if (r.userHandle) { out.response.userHandle = b64(r.userHandle); }
    }
    return out;
  };
  var wrongHost = function (box) {
    var rp = box.getAttribute("data-rp-id");
    if (rp && location.hostname !== rp) {
      var note = box.querySelector("#passkey-host");
      if (note) { note.hidden = false; }
      return true;
    }
    return !window.PublicKeyCredential;
  };
  var reg = document.querySelector("[data-passkey-register]");
  if (reg) {
    var regErr = document.getElementById("passkey-reg-error");
    document.getElementById("passkey-register").addEventListener("click", function () {
      regErr.textContent = "";
      if (wrongHost(reg)) { return; }
      var name = document.getElementById("passkey-name").value;
      var pw = document.getElementById("passkey-password").value;
      post("/account/passkeys/options", { name: name, password: pw }).then(function (c) {
        var o = c.options.publicKey;
        o.challenge = unb64(o.challenge);
        o.user.id = unb64(o.user.id);
        (o.excludeCredentials || []).forEach(function (x) { x.id = unb64(x.id); });
        return navigator.credentials.create({ publicKey: o }).then(function (cred) {
          return post("/account/passkeys", { handle: c.handle, name: name, credential: credentialJson(cred) });
        });
      }).then(function (j) { window.location.href = j.redirect; })
        .catch(function (e) {
          var f = e && e.fields && e.fields[0];
          say(regErr, f || e);
        });
    });
  }
  var box = document.querySelector("[data-passkey-sign-in]");
  if (box) {
    var err = document.getElementById("passkey-error");
    document.getElementById("passkey-sign-in").addEventListener("click", function () {
      err.hidden = true;
      if (wrongHost(box)) { return; }
      post("/login/passkey/options").then(function (c) {
        var o = c.options.publicKey;
        o.challenge = unb64(o.challenge);
        (o.allowCredentials || []).forEach(function (x) { x.id = unb64(x.id); });
        return navigator.credentials.get({ publicKey: o }).then(function (cred) {
          return post("/login/passkey", { handle: c.handle, credential: credentialJson(cred), next: box.getAttribute("data-next") });
        });
      }).then(function (j) { window.location.href = j.redirect; })
        .catch(function (e) { say(err, e); });
    });
  }
  // The citizen certificate card, through the HiPKI local sign server: its
  // popup asks for the text to sign, signs it with the card and the PIN,
  // and answers with a PKCS#7 signature (INTEGRATIONS.md).
  var hipki = function (agent, tbs, pin) {
    return new Promise(function (resolve, reject) {
      var origin = new URL(agent).origin, done = false;
      var popup = window.open(agent + "/popupForm", "hipki", "height=200,width=200,left=100,top=20");
      var finish = function (f, v) {
        if (done) { return; }
        done = true;
        window.removeEventListener("message", onMessage);
        window.clearTimeout(timer);
        f(v);
      };
      var noAgent = { message: { zh: "無法連線至 HiCOS 跨平台網頁元件，請確認已安裝並啟動後再試。", en: "The HiCOS web component does not answer; make sure it is installed and running." } };
      var timer = window.setTimeout(function () { finish(reject, noAgent); }, 30000);
      var onMessage = function (ev) {
        if (ev.origin !== origin) { return; }
        var ret;
        try { ret = JSON.parse(ev.data); } catch (e) { return; }
        if (ret.func === "getTbs") {
          popup.postMessage(JSON.stringify({ func: "MakeSignature", signatureType: "PKCS7", tbs: tbs, tbsEncoding: "NONE", hashAlgorithm: "SHA256", withCardSN: "true", pin: pin, nonce: "" }), origin);
        } else if (ret.func === "sign") {
          if (ret.ret_code === 0) { finish(resolve, ret.signature); }
          else { finish(reject, { message: { zh: "憑證簽章失敗（" + (ret.message || ret.ret_code) + "），請確認卡片與 PIN 碼。", en: "The card could not sign (" + (ret.message || ret.ret_code) + "); check the card and the PIN." } }); }
        }
      };
      window.addEventListener("message", onMessage);
      if (!popup) { finish(reject, noAgent); }
    });
  };
  var cardFlow = function (optionsUrl, finishUrl, pinBox, errBox, extra) {
    errBox.textContent = "";
    errBox.hidden = true;
    var pin = pinBox.value;
    post(optionsUrl).then(function (c) {
      return hipki(c.agent, c.tbs, pin).then(function (sig) {
        var body = { handle: c.handle, signature: sig };
        Object.keys(extra).forEach(function (k) { body[k] = extra[k]; });
        return post(finishUrl, body);
      });
    }).then(function (j) { window.location.href = j.redirect; })
      .catch(function (e) { say(errBox, e); });
  };
  var bind = document.querySelector("[data-card-bind]");
  if (bind) {
    document.getElementById("card-bind").addEventListener("click", function () {
      cardFlow("/account/card/options", "/account/card", document.getElementById("card-pin"), document.getElementById("card-error"), {});
    });
  }
  var cardIn = document.querySelector("[data-card-sign-in]");
  if (cardIn) {
    document.getElementById("card-sign-in").addEventListener("click", function () {
      cardFlow("/login/card/options", "/login/card", document.getElementById("card-pin"), document.getElementById("card-error"), { next: cardIn.getAttribute("data-next") });
    });
  }
  var cardCheck = document.querySelector("[data-card-verify]");
  if (cardCheck) {
    document.getElementById("card-verify").addEventListener("click", function () {
      cardFlow(cardCheck.getAttribute("data-options"), cardCheck.getAttribute("data-finish"), document.getElementById("card-pin"), document.getElementById("card-error"), {});
    });
  }
  // Mobile ID: ask every four seconds whether the phone has answered
  // (the service's own advice; the server holds the same line).
  var mobile = document.querySelector("[data-mobile-id]");
  if (mobile) {
    var mErr = document.getElementById("mobile-error");
    var ask = function () {
      post(mobile.getAttribute("data-poll") || "/login/mobile-id/poll", { handle: mobile.getAttribute("data-handle"), next: mobile.getAttribute("data-next") })
        .then(function (j) {
          if (j.redirect) { window.location.href = j.redirect; return; }
          window.setTimeout(ask, 4000);
        })
        .catch(function (e) {
          // A network blip or a server hiccup is not an answer: ask again.
          if (!e || typeof e.message !== "object" || e.error === "internal") { window.setTimeout(ask, 4000); return; }
          say(mErr, e);
        });
    };
    window.setTimeout(ask, 4000);
  }
})();
// Announcements (issue 17): the rich-text editor. Without a script the
// textarea takes plain text or HTML; with one, the editor writes its HTML
// into the textarea as it changes. The server cleans either to the allowed
// tags, so the editor is a convenience, not a guard.
(function () {
  document.querySelectorAll("[data-rte-for]").forEach(function (box) {
    var ta = document.getElementById(box.getAttribute("data-rte-for"));
    var area = box.querySelector(".rte-area");
    if (!ta || !area || !document.execCommand) { return; }
    var text = ta.value;
    if (text.indexOf("<") === -1) {
      // Plain text becomes paragraphs, escaped as text nodes.
      text.split(/\n{2,}/).forEach(function (para) {
        if (!para.trim()) { return; }
        var p = document.createElement("p");
        para.split("\n").forEach(function (line, i) {
          if (i > 0) { p.appendChild(document.createElement("br")); }
          p.appendChild(document.createTextNode(line));
        });
        area.appendChild(p);
      });
    } else {
      // The page holds the server-cleaned HTML: parsed inert, then moved in.
      var doc = new DOMParser().parseFromString(text, "text/html");
      while (doc.body.firstChild) { area.appendChild(doc.body.firstChild); }
    }
    box.hidden = false;
    ta.hidden = true;
    ta.removeAttribute("required");
    var sync = function () { ta.value = area.innerHTML; };
    area.addEventListener("input", sync);
    if (ta.getAttribute("aria-invalid") === "true") { area.setAttribute("aria-invalid", "true"); }
    box.querySelectorAll(".rte-bar button").forEach(function (b) {
      b.addEventListener("click", function () {
        area.focus();
        var cmd = b.getAttribute("data-cmd");
        var value = b.getAttribute("data-value");
        if (cmd === "createLink") {
          value = window.prompt(b.getAttribute("data-prompt"), "https://");
          if (!value || !/^(https?:\/\/|mailto:)/i.test(value)) { return; }
        }
        document.execCommand("styleWithCSS", false, false);
        document.execCommand(cmd, false, value);
        sync();
      });
    });
    var form = ta.form;
    if (form) { form.addEventListener("submit", sync); }
  });
})();

// The home page (issue 17): a 訊息介接 block still being read when the
// page was made is asked for again on its own, so a slow system fills in
// when it answers and never holds the page.
(function () {
  document.querySelectorAll('.office-card[data-state="pending"]').forEach(function (card) {
    var key = card.getAttribute("data-office");
    fetch("/home/office/" + encodeURIComponent(key), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(".office-card");
        if (fresh) { card.replaceWith(fresh); }
      })
      .catch(function () {});
  });
})();

// 設定排版: blocks moved by dragging their handle, or by the arrow keys
// on it (up and down in the list; all four in the 3×3 grid). Each move
// writes the places into the form's selects, which also work without this
// script, and is said aloud.
(function () {
  var list = document.querySelector("[data-layout]");
  if (!list) { return; }
  var grid = list.getAttribute("data-layout") === "grid";
  var said = document.getElementById("layout-said");
  var items = function () { return Array.prototype.slice.call(list.querySelectorAll(".layout-item")); };
  var renumber = function () {
    items().forEach(function (li, i) {
      var sel = li.querySelector("select");
      if (sel) { sel.value = String(i + 1); }
    });
  };
  var say = function (li) {
    var n = items().indexOf(li) + 1;
    var name = li.querySelector(".layout-handle").getAttribute("data-label");
    var row = Math.ceil(n / 3), col = ((n - 1) % 3) + 1;
    var en = document.documentElement.lang === "en";
    var where = en ? (grid ? "row " + row + ", column " + col : "place " + n)
                   : (grid ? "第 " + row + " 列第 " + col + " 欄" : "第 " + n + " 個");
    if (said) { said.textContent = en ? name + " moved to " + where : name + " 移至" + where; }
  };
  // Swaps two items in place (the grid's cells keep their number).
  var swap = function (a, b) {
    var marker = document.createElement("li");
    list.insertBefore(marker, a);
    list.insertBefore(a, b);
    list.insertBefore(b, marker);
    list.removeChild(marker);
  };
  items().forEach(function (li) {
    var handle = li.querySelector(".layout-handle");
    handle.hidden = false;
    // A place chosen in the select swaps the block with the one there
    // (a phone has neither arrow keys nor, in every browser, drag and drop).
    var sel = li.querySelector("select");
    if (sel) {
      sel.addEventListener("change", function () {
        var other = items()[Number(sel.value) - 1];
        if (other && other !== li) { swap(li, other); }
        renumber();
        say(li);
      });
    }
    handle.addEventListener("keydown", function (ev) {
      var all = items();
      var i = all.indexOf(li);
      var step = { ArrowUp: grid ? -3 : -1, ArrowDown: grid ? 3 : 1, ArrowLeft: grid ? -1 : 0, ArrowRight: grid ? 1 : 0 }[ev.key];
      if (step === undefined) { return; }
      ev.preventDefault();
      var j = i + step;
      if (!step || j < 0 || j >= all.length) { return; }
      if (grid && Math.abs(step) === 1 && Math.floor(i / 3) !== Math.floor(j / 3)) { return; }
      swap(li, all[j]);
      renumber();
      handle.focus();
      say(li);
    });
    li.setAttribute("draggable", "true");
    li.addEventListener("dragstart", function (ev) {
      li.classList.add("dragging");
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", li.getAttribute("data-key"));
    });
    li.addEventListener("dragend", function () { li.classList.remove("dragging"); });
    li.addEventListener("dragover", function (ev) { ev.preventDefault(); li.classList.add("over"); });
    li.addEventListener("dragleave", function () { li.classList.remove("over"); });
    li.addEventListener("drop", function (ev) {
      ev.preventDefault();
      li.classList.remove("over");
      var from = list.querySelector('.layout-item[data-key="' + ev.dataTransfer.getData("text/plain") + '"]');
      if (from && from !== li) { swap(from, li); renumber(); say(from); }
    });
  });
})();

// 發布新公告: the button says what it will do (發布, 預約, or keep unpublished).
(function () {
  var b = document.querySelector("button[data-submit]");
  if (!b || !b.form) { return; }
  b.form.querySelectorAll('input[name="release"]').forEach(function (r) {
    r.addEventListener("change", function () {
      var t = b.getAttribute("data-" + r.value);
      if (r.checked && t) { b.textContent = t; }
    });
  });
})();
