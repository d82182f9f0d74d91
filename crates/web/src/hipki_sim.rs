//! A stand-in for the HiPKI local sign server (HiCOS 跨平台網頁元件) with
//! one card in its reader, for the demo and the tests: the same popup and
//! `postMessage` exchange as the real one on `127.0.0.1:61161`
//! (INTEGRATIONS.md), signing with a test CA's card key. It also serves
//! that CA's CRL, where the card certificates say it is.
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use portico_app::card::sign::{CardKey, sign_tbs};
use std::sync::{Arc, Mutex};

/// The card in the simulated reader.
pub struct SimCard {
    pub cert_der: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
    pub key: CardKey,
    pub pin: String,
    pub card_number: String,
}

#[derive(Default)]
struct Inner {
    card: Option<SimCard>,
    crl: Vec<u8>,
    /// Wrong PINs in a row; the card locks at three, as cards do.
    wrong_pins: u32,
    /// How often the CRL was fetched.
    crl_hits: u64,
}

#[derive(Clone, Default)]
pub struct HipkiSim(Arc<Mutex<Inner>>);

/// Return codes of the stand-in (0 is success, as in HiPKI).
const RET_NO_CARD: u32 = 0x6100_0001;
const RET_BAD_PIN: u32 = 0x6100_0006;
const RET_LOCKED: u32 = 0x6100_0007;

impl HipkiSim {
    pub fn new() -> HipkiSim {
        HipkiSim::default()
    }

    /// Puts a card in the reader (replacing any).
    pub fn insert(&self, card: SimCard) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.card = Some(card);
        g.wrong_pins = 0;
    }

    /// The CRL served at `/crl/test-moica.crl`.
    pub fn set_crl(&self, der: Vec<u8>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).crl = der;
    }

    /// How often the CRL was fetched.
    pub fn crl_hits(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).crl_hits
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/popupForm", get(popup))
            .route("/sign", post(sign))
            .route("/crl/test-moica.crl", get(crl))
            .with_state(self.clone())
    }
}

async fn crl(State(sim): State<HipkiSim>) -> Response {
    let der = {
        let mut g = sim.0.lock().unwrap_or_else(|e| e.into_inner());
        g.crl_hits += 1;
        g.crl.clone()
    };
    if der.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    ([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response()
}

#[derive(serde::Deserialize)]
struct SignRequest {
    #[serde(default)]
    tbs: String,
    #[serde(default)]
    pin: String,
    #[serde(default)]
    nonce: String,
    #[serde(default, rename = "withCardSN")]
    with_card_sn: String,
}

async fn sign(State(sim): State<HipkiSim>, axum::Json(r): axum::Json<SignRequest>) -> Response {
    let mut g = sim.0.lock().unwrap_or_else(|e| e.into_inner());
    let wrong = g.wrong_pins;
    let answer = match g.card.as_ref() {
        None => {
            serde_json::json!({"func": "sign", "ret_code": RET_NO_CARD, "message": "no card in the reader"})
        }
        Some(_) if wrong >= 3 => {
            serde_json::json!({"func": "sign", "ret_code": RET_LOCKED, "message": "the card is locked"})
        }
        Some(c) if c.pin != r.pin => {
            g.wrong_pins += 1;
            serde_json::json!({"func": "sign", "ret_code": RET_BAD_PIN, "message": "wrong PIN"})
        }
        Some(c) => {
            let sn = if r.with_card_sn == "true" {
                c.card_number.as_str()
            } else {
                ""
            };
            match sign_tbs(
                &c.cert_der,
                &c.chain,
                &c.key,
                r.tbs.as_bytes(),
                sn,
                r.nonce.as_bytes(),
                time::OffsetDateTime::now_utc(),
            ) {
                Ok(sig) => serde_json::json!({"func": "sign", "ret_code": 0, "signature": sig}),
                Err(e) => {
                    serde_json::json!({"func": "sign", "ret_code": RET_NO_CARD, "message": e.to_string()})
                }
            }
        }
    };
    if answer["ret_code"] == 0 {
        g.wrong_pins = 0;
    }
    axum::Json(answer).into_response()
}

/// The popup the portal's page opens: it asks the opener for the text to
/// sign, signs it here, and posts the signature back.
async fn popup() -> Html<&'static str> {
    Html(
        r#"<!doctype html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>HiPKI 簽章（模擬）</title></head>
<body><p>自然人憑證簽章中（模擬元件）…</p><script>
(function () {
  var opener = window.opener;
  if (!opener) { return; }
  window.addEventListener("message", function (ev) {
    var req;
    try { req = JSON.parse(ev.data); } catch (e) { return; }
    if (req.func !== "MakeSignature") { return; }
    fetch("/sign", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) })
      .then(function (r) { return r.json(); })
      .then(function (ans) { opener.postMessage(JSON.stringify(ans), ev.origin); window.close(); });
  });
  opener.postMessage(JSON.stringify({ func: "getTbs" }), "*");
})();
</script></body></html>"#,
    )
}
