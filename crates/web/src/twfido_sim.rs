//! A simulator of the mobile ID SP API (TW FidO) for the demo and the
//! tests: the same endpoints (`/moise/sp/…`), request checksums verified,
//! answers carrying `idp_checksum`, tickets in the published format, and
//! the published error codes. A page stands in for the phone
//! (`/sim/phone`): it lists the waiting requests, and approving one signs
//! the portal's challenge with the person's test certificate key.
//!
//! Where the published material is silent the simulator chooses, and says
//! so: `hashed_id_num` is the lowercase hex SHA-256 of the upper-case ID,
//! `expiration_time` is `yyyyMMddHHmmss` in Taipei time, `version` is
//! "1.0".
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portico_app::card::sign::CardKey;
use portico_app::mobile_id::{checksum, checksum_ok};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// A person with the app: their mobile ID certificate and key.
pub struct Enrolled {
    pub cert_der: Vec<u8>,
    pub key: CardKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Approved,
    Denied,
    Delivered,
}

struct Txn {
    transaction_id: String,
    id_num: String,
    hint: String,
    mode: &'static str,
    sign_data: String,
    expires: OffsetDateTime,
    state: Phase,
}

#[derive(Default)]
struct Inner {
    enrolled: HashMap<String, Enrolled>,
    /// By sp_ticket_id.
    txns: HashMap<String, Txn>,
    used_ids: HashSet<String>,
    /// Faults a test asks for: the next answer's checksum is wrong; the
    /// next signature is over something else.
    bad_checksum: bool,
    bad_signature: bool,
}

#[derive(Clone)]
pub struct TwFidoSim {
    inner: Arc<Mutex<Inner>>,
    service_id: String,
    key: [u8; 32],
}

fn hashed_id(id: &str) -> String {
    portico_core::audit::hex(&Sha256::digest(id.to_uppercase().as_bytes()))
}

fn b64url(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

impl TwFidoSim {
    pub fn new(service_id: &str, key: [u8; 32]) -> TwFidoSim {
        TwFidoSim {
            inner: Arc::new(Mutex::new(Inner::default())),
            service_id: service_id.to_owned(),
            key,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a person's app (their ID, certificate and key).
    pub fn enroll(&self, id_num: &str, who: Enrolled) {
        self.lock().enrolled.insert(id_num.to_uppercase(), who);
    }

    /// The phone answers the newest waiting request for `id_num`.
    pub fn answer(&self, id_num: &str, approve: bool) -> bool {
        let mut g = self.lock();
        let newest = g
            .txns
            .iter_mut()
            .filter(|(_, t)| t.id_num == id_num.to_uppercase() && t.state == Phase::Waiting)
            .max_by_key(|(_, t)| t.expires);
        match newest {
            Some((_, t)) => {
                t.state = if approve {
                    Phase::Approved
                } else {
                    Phase::Denied
                };
                true
            }
            None => false,
        }
    }

    pub fn corrupt_next_checksum(&self) {
        self.lock().bad_checksum = true;
    }

    pub fn corrupt_next_signature(&self) {
        self.lock().bad_signature = true;
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/moise/sp/getSpTicket", post(get_sp_ticket))
            .route("/moise/sp/requestAthOrSignPush", post(push))
            .route("/moise/sp/getAthOrSignResult", post(result))
            .route("/sim/phone", get(phone))
            .route("/sim/phone/{ticket}/{answer}", post(phone_answer))
            .with_state(self.clone())
    }

    fn envelope(&self, tx: &str, code: &str, result: Value, idp_payload: &str) -> Response {
        let mut r = result;
        let mut sum = checksum(&self.key, idp_payload).unwrap_or_default();
        let mut g = self.lock();
        if std::mem::take(&mut g.bad_checksum) {
            sum = checksum(&self.key, "tampered").unwrap_or_default();
        }
        drop(g);
        if r.is_object() {
            r["idp_checksum"] = json!(sum);
        }
        let _ = tx;
        axum::Json(json!({ "error_code": code, "error_message": "", "result": r })).into_response()
    }

    fn error(&self, interface: &str, code: &str) -> Response {
        axum::Json(json!({
            "error_code": format!("SP-API-{interface}-{code}"),
            "error_message": code,
        }))
        .into_response()
    }

    /// ATH-01 and ATH-03: checks the request, opens a transaction, returns
    /// its ticket.
    fn ticket(&self, interface: &str, b: &Value, op_mode: &'static str) -> Response {
        let s = |k: &str| b[k].as_str().unwrap_or("").to_owned();
        let (tx, id, hint) = (s("transaction_id"), s("id_num"), s("hint"));
        let sign_data = b["sign_info"]["sign_data"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if s("sp_service_id") != self.service_id {
            return self.error(interface, "SPSVCID_NF");
        }
        let payload = if interface == "ATH-03" {
            format!(
                "{tx}{}{id}{}{}{hint}{sign_data}",
                self.service_id,
                s("device_user_def_desc"),
                s("op_code")
            )
        } else {
            format!(
                "{tx}{}{id}{}{}{hint}{sign_data}",
                self.service_id,
                s("op_code"),
                s("op_mode")
            )
        };
        if !checksum_ok(&self.key, &payload, &s("sp_checksum")) {
            return self.error(interface, "INV_SP_CHECKSUM");
        }
        if portico_core::national_id::NationalId::parse(&id).is_err() {
            return self.error(interface, "PM_IDN_FT_ERR");
        }
        let limit = b["time_limit"].as_i64().unwrap_or(600);
        if !(30..=600).contains(&limit) {
            return self.error(interface, "SPTKT_TIME_ORV");
        }
        if sign_data.len() > 1024 {
            return self.error(interface, "SIGNDATA_LEN_LIMIT");
        }
        let mut g = self.lock();
        if !g.enrolled.contains_key(&id.to_uppercase()) {
            return self.error(interface, "IDNUM_USERPROF_NF");
        }
        if tx.is_empty() || !g.used_ids.insert(tx.clone()) {
            return self.error(interface, "TXNLOG_INS_ERR");
        }
        let ticket_id = portico_app::random_token(16).unwrap_or_default();
        let expires = OffsetDateTime::now_utc() + time::Duration::seconds(limit);
        let expiration = expires
            .to_offset(portico_core::time::TAIPEI)
            .format(time::macros::format_description!(
                "[year][month][day][hour][minute][second]"
            ))
            .unwrap_or_default();
        let body = json!({
            "transaction_id": tx, "op_code": s("op_code"), "op_mode": op_mode,
            "sp_service_id": self.service_id, "sp_ticket_id": ticket_id,
            "sp_name": "公務入口網", "hint": hint, "expiration_time": expiration,
            "hashed_id_num": hashed_id(&id), "version": "1.0",
        });
        let first = b64url(body.to_string().as_bytes());
        let ticket = format!("{first}.{}", b64url(&Sha256::digest(first.as_bytes())));
        g.txns.insert(
            ticket_id,
            Txn {
                transaction_id: tx.clone(),
                id_num: id.to_uppercase(),
                hint,
                mode: if op_mode.is_empty() { "push" } else { "qr" },
                sign_data,
                expires,
                state: Phase::Waiting,
            },
        );
        drop(g);
        self.envelope(
            &tx,
            "0",
            json!({ "sp_ticket": ticket }),
            &format!("{tx}0{ticket}"),
        )
    }
}

async fn get_sp_ticket(State(sim): State<TwFidoSim>, axum::Json(b): axum::Json<Value>) -> Response {
    let mode = match b["op_mode"].as_str() {
        Some("I-SCAN") => "I-SCAN",
        Some("APP2APP") => "APP2APP",
        Some("MWEB2APP") => "MWEB2APP",
        _ => return sim.error("ATH-01", "SPTKT_PLD_FT_ERR"),
    };
    sim.ticket("ATH-01", &b, mode)
}

async fn push(State(sim): State<TwFidoSim>, axum::Json(b): axum::Json<Value>) -> Response {
    sim.ticket("ATH-03", &b, "")
}

/// ATH-02: pending, expired, declined, already read, or the signature.
async fn result(State(sim): State<TwFidoSim>, axum::Json(b): axum::Json<Value>) -> Response {
    let s = |k: &str| b[k].as_str().unwrap_or("").to_owned();
    let (tx, ticket_id) = (s("transaction_id"), s("sp_ticket_id"));
    if s("sp_service_id") != sim.service_id {
        return sim.error("ATH-02", "SPSVCID_NF");
    }
    if !checksum_ok(
        &sim.key,
        &format!("{tx}{}{ticket_id}", sim.service_id),
        &s("sp_checksum"),
    ) {
        return sim.error("ATH-02", "INV_SP_CHECKSUM");
    }
    let mut g = sim.lock();
    let bad_signature = std::mem::take(&mut g.bad_signature);
    let Some(t) = g.txns.get(&ticket_id) else {
        return sim.error("ATH-02", "SPTKTID_SPTKT_NF");
    };
    if t.transaction_id != tx {
        return sim.error("ATH-02", "SPTKTID_SPTKT_NF");
    }
    let (state, expired) = (t.state, t.expires <= OffsetDateTime::now_utc());
    match state {
        Phase::Delivered => return sim.error("ATH-02", "SPTKTID_SPTKT_RDM"),
        Phase::Denied => return sim.error("ATH-02", "APP_USER_CANCEL"),
        Phase::Waiting if expired => return sim.error("ATH-02", "SPTKT_OVD"),
        Phase::Waiting => return sim.error("ATH-02", "SPTKTID_TXNLOG_NF"),
        Phase::Approved => {}
    }
    let (id, sign_data) = (t.id_num.clone(), t.sign_data.clone());
    let Some(who) = g.enrolled.get(&id) else {
        return sim.error("ATH-02", "IDNUM_USERPROF_NF");
    };
    let tbs = STANDARD.decode(sign_data.as_bytes()).unwrap_or_default();
    let signed = if bad_signature {
        who.key.sign_raw(b"something else")
    } else {
        who.key.sign_raw(&tbs)
    };
    let Ok(sig) = signed else {
        return sim.error("ATH-02", "APP_SIGN_FAILURE");
    };
    let cert = STANDARD.encode(&who.cert_der);
    if let Some(t) = g.txns.get_mut(&ticket_id) {
        t.state = Phase::Delivered;
    }
    drop(g);
    let hashed = hashed_id(&id);
    let signed_response = STANDARD.encode(sig);
    sim.envelope(
        &tx,
        "0",
        json!({ "hashed_id_num": hashed, "signed_response": signed_response, "cert": cert }),
        &format!("{tx}0{hashed}{signed_response}"),
    )
}

/// The phone: the waiting requests, each with approve and decline.
async fn phone(State(sim): State<TwFidoSim>) -> Response {
    let g = sim.lock();
    let now = OffsetDateTime::now_utc();
    let mut rows = String::new();
    for (ticket, t) in g
        .txns
        .iter()
        .filter(|(_, t)| t.state == Phase::Waiting && t.expires > now)
    {
        let masked = portico_app::mobile_id::mask(&t.id_num);
        let hint = t
            .hint
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;");
        rows.push_str(&format!(
            r#"<li><p>{masked}：{hint}（{}）</p><form method="post" action="/sim/phone/{ticket}/approve"><button type="submit">同意並簽章 Approve</button></form> <form method="post" action="/sim/phone/{ticket}/deny"><button type="submit">拒絕 Decline</button></form></li>"#,
            t.mode
        ));
    }
    drop(g);
    if rows.is_empty() {
        rows = "<li>目前沒有待處理的驗證要求。No waiting requests.</li>".into();
    }
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(format!(
            r#"<!doctype html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>行動自然人憑證 APP（模擬）</title></head><body><main><h1>行動自然人憑證 APP（模擬）</h1><ul id="requests">{rows}</ul></main></body></html>"#
        )),
    )
        .into_response()
}

async fn phone_answer(
    State(sim): State<TwFidoSim>,
    Path((ticket, answer)): Path<(String, String)>,
) -> Response {
    let mut g = sim.lock();
    if let Some(t) = g.txns.get_mut(&ticket)
        && t.state == Phase::Waiting
    {
        t.state = if answer == "approve" {
            Phase::Approved
        } else {
            Phase::Denied
        };
    }
    Redirect::to("/sim/phone").into_response()
}
