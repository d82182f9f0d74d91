//! Mobile ID's use cases: signing in, and the identity check of the
//! account flows and of modifying an application.
use super::*;
use crate::auth::{SignInError, Subject, attempt_event};
use crate::{App, Ctx, random_token, token_hash};
use portico_core::verify::Purpose;
use portico_core::zone::SignInMethod;
use portico_store::{accounts, db_err, factors};
use std::sync::Arc;

const SIGN_IN: &str = "mobile_id";
const VERIFY: &str = "mobile_id_verify";

impl App {
    pub fn with_mobile_id(mut self, setup: MobileIdSetup) -> App {
        self.mobile_id = Some(Arc::new(setup));
        self
    }

    pub fn mobile_id_enabled(&self) -> bool {
        self.mobile_id.is_some()
    }

    fn mobile_id(&self) -> Result<&MobileIdSetup> {
        self.mobile_id
            .as_deref()
            .ok_or_else(|| Error::internal("mobile ID is not configured"))
    }

    /// Asks the service to have the person sign a fresh challenge;
    /// keeps the transaction under a handle for the page to poll with.
    async fn mobile_id_request(
        &self,
        kind: &str,
        id_num: &str,
        mode: Mode,
        purpose: &str,
        key: &str,
        account: Option<i64>,
    ) -> std::result::Result<Started, ServiceError> {
        let internal = |e: Error| ServiceError::Unreachable(e.to_string());
        let setup = self.mobile_id().map_err(internal)?;
        let mut challenge = [0u8; 32];
        getrandom::fill(&mut challenge)
            .map_err(|e| ServiceError::Unreachable(format!("no randomness: {e}")))?;
        let sign_data = STANDARD.encode(challenge);
        let t = random_token(16).map_err(internal)?;
        let tx = format!(
            "{}-{}-{}-{}-{}",
            &t[..8],
            &t[8..12],
            &t[12..16],
            &t[16..20],
            &t[20..]
        );
        let mut two = [0u8; 1];
        getrandom::fill(&mut two)
            .map_err(|e| ServiceError::Unreachable(format!("no randomness: {e}")))?;
        let confirm = format!("{:02}", two[0] % 100);
        let hint = if kind == SIGN_IN {
            format!("登入臺南市政府公務入口網（確認碼 {confirm}）")
        } else {
            format!("臺南市政府公務入口網身分驗證（確認碼 {confirm}）")
        };
        let ticket = setup
            .client
            .request(&tx, id_num, mode, &hint, &sign_data)
            .await?;
        let ticket_id = ticket_fields(&ticket)
            .and_then(|f| f["sp_ticket_id"].as_str().map(str::to_owned))
            .ok_or(ServiceError::BadChecksum)?;
        let now = self.now();
        let data = serde_json::to_string(&Txn {
            tx,
            ticket_id,
            id_num: id_num.to_owned(),
            challenge: sign_data,
            mode,
            last_poll: now.unix_timestamp(),
            purpose: purpose.to_owned(),
            key: key.to_owned(),
            account,
        })
        .map_err(|e| ServiceError::Unreachable(e.to_string()))?;
        let handle = self
            .put_challenge(
                kind,
                None,
                &data,
                time::Duration::seconds(TIME_LIMIT_SECS + 30),
            )
            .await
            .map_err(internal)?;
        let qr_svg = if mode == Mode::Qr {
            qrcode::QrCode::new(ticket.as_bytes())
                .map(|q| {
                    q.render::<qrcode::render::svg::Color>()
                        .min_dimensions(220, 220)
                        .build()
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Started {
            handle,
            mode,
            qr_svg,
            confirm,
        })
    }

    /// Asks the service how a transaction stands, no more often than
    /// every four seconds (of two polls at once, one asks); a settled
    /// transaction is spent.
    async fn mobile_id_advance(&self, kind: &str, handle: &str) -> Result<Advance> {
        let setup = self.mobile_id()?;
        let now = self.now();
        let hash = token_hash(handle);
        let peeked = if handle.is_empty() || handle.len() > 128 {
            None
        } else {
            factors::challenge_peek(&mut *self.db.read().await?, &hash, kind, now).await?
        };
        let Some((_, data)) = peeked else {
            return Ok(Advance::Unknown);
        };
        let mut t: Txn = serde_json::from_str(&data).map_err(|e| Error::internal(e.to_string()))?;
        // A decoy (an account that may not use the step) never settles.
        if t.tx.is_empty() || now.unix_timestamp() - t.last_poll < POLL_INTERVAL.whole_seconds() {
            return Ok(Advance::Pending);
        }
        t.last_poll = now.unix_timestamp();
        let after = serde_json::to_string(&t).map_err(|e| Error::internal(e.to_string()))?;
        let mut db = self.db.begin().await?;
        let mine = factors::challenge_update(&mut db, &hash, &data, &after).await?;
        db.commit().await.map_err(db_err)?;
        if !mine {
            return Ok(Advance::Pending);
        }
        let answer = match setup.client.result(&t.tx, &t.ticket_id).await {
            Ok(Outcome::Pending) => return Ok(Advance::Pending),
            // A blip is not an answer: the person may still approve.
            Err(ServiceError::Unreachable(e)) => {
                tracing::warn!(error = %e, "mobile ID service unreachable");
                return Ok(Advance::Pending);
            }
            Ok(Outcome::Signed {
                signature, cert, ..
            }) => Ok((signature, cert)),
            Err(e) => Err(e),
        };
        let mut db = self.db.begin().await?;
        let spent = factors::challenge_take(&mut db, &hash, kind, now)
            .await?
            .is_some();
        db.commit().await.map_err(db_err)?;
        Ok(if spent {
            Advance::Settled(Box::new(t), answer)
        } else {
            Advance::Pending
        })
    }

    /// Checks the person's signature over the transaction's challenge
    /// and their certificate, and that it names `id_num`.
    async fn mobile_id_check(
        &self,
        t: &Txn,
        signature: &[u8],
        cert: &[u8],
    ) -> Result<std::result::Result<(), &'static str>> {
        let setup = self.mobile_id()?;
        let challenge = STANDARD.decode(t.challenge.as_bytes()).unwrap_or_default();
        Ok(
            match verify_signed(&setup.trust, &challenge, signature, cert, self.now()).await {
                Err(r) => Err(r.code()),
                Ok(who) if !t.id_num.ends_with(&who.id_last4) => Err("mobile_id_mismatch"),
                Ok(_) => Ok(()),
            },
        )
    }

    /// Starts a mobile-ID sign-in for a national ID: a push to the
    /// phone, or a QR code (004 §第一節 一). Asking again is 重新發送推播.
    pub async fn mobile_id_start(
        &self,
        id_num: &str,
        mode: Mode,
        ctx: &Ctx,
    ) -> Result<Started, SignInError> {
        let method = SignInMethod::MobileId;
        self.mobile_id()?;
        let id = id_num.trim().to_uppercase();
        // Checked first: nothing unchecked reaches the audit trail.
        let Ok(id) = portico_core::national_id::NationalId::parse(&id) else {
            let fail = attempt_event(ctx, "", method.as_str());
            self.failed_attempt(fail, "bad_national_id", method)
                .await
                .ok();
            return Err(SignInError::Service(Msg::new(
                "身分證字號格式不正確",
                "The national ID is not valid",
            )));
        };
        let id = id.as_str().to_owned();
        self.zone_gate(method, &mask(&id), ctx).await?;
        let fail = attempt_event(ctx, &mask(&id), method.as_str());
        if !self.mobile_id_rate(&id, ctx).await? {
            self.failed_attempt(fail, "too_many_pushes", method)
                .await
                .ok();
            return Err(SignInError::Service(too_many_pushes()));
        }
        match self
            .mobile_id_request(SIGN_IN, &id, mode, "", "", None)
            .await
        {
            Ok(s) => Ok(s),
            Err(e) => {
                self.failed_attempt(fail, e.short(), method).await.ok();
                Err(SignInError::Service(e.message()))
            }
        }
    }

    /// Pushes to one national ID (5 an hour) and from one address (the
    /// send limit of codes) are limited, in the database so every node
    /// counts them: nobody can wear a phone's owner down until they tap
    /// "approve". A refused request uses up nothing.
    async fn mobile_id_rate(&self, id: &str, ctx: &Ctx) -> Result<bool> {
        // The push is logged beside the codes sent; it has no code.
        self.note_send("mobile_id", &format!("mobile_id:{id}"), ctx)
            .await
    }

    /// Asks how a sign-in stands; on approval checks the signature over
    /// the challenge and the certificate, and signs the person in.
    pub async fn mobile_id_poll(&self, handle: &str, ctx: &Ctx) -> Result<Poll, SignInError> {
        let method = SignInMethod::MobileId;
        let mut fail = attempt_event(ctx, "", method.as_str());
        let (t, answer) = match self.mobile_id_advance(SIGN_IN, handle).await? {
            Advance::Pending => return Ok(Poll::Pending),
            Advance::Unknown => {
                return self
                    .failed_attempt(fail, "unknown_challenge", method)
                    .await
                    .map(Poll::SignedIn);
            }
            Advance::Settled(t, a) => (t, a),
        };
        fail.actor_login = mask(&t.id_num);
        fail.target_label = mask(&t.id_num);
        let account = accounts::find_by_national_id(&mut *self.db.read().await?, &t.id_num).await?;
        let (signature, cert) = match answer {
            Ok(sc) => sc,
            Err(e) => {
                // A forged answer counts against the account it names;
                // a refusal by the person or the service does not.
                if let (ServiceError::BadChecksum, Some(a)) = (&e, account) {
                    let (a, fail) = self.sign_in_subject(Subject::Account(a.id), fail).await?;
                    self.sign_in_verdict(a, fail, Err("mobile_id_checksum"), method)
                        .await?;
                    return Err(SignInError::BadCredentials(method));
                }
                self.failed_attempt(fail, e.short(), method).await.ok();
                return Err(SignInError::Service(e.message()));
            }
        };
        let Some(account) = account else {
            self.failed_attempt(fail, "no_account", method).await.ok();
            return Err(SignInError::Service(Msg::new(
                "此身分證字號沒有公務帳號；請先申請帳號",
                "No official account has this national ID; apply for one first",
            )));
        };
        let (account, fail) = self
            .sign_in_subject(Subject::Account(account.id), fail)
            .await?;
        let check = self.mobile_id_check(&t, &signature, &cert).await?;
        let checked = self.sign_in_verdict(account, fail, check, method).await?;
        self.start_session(checked, method, ctx)
            .await
            .map(Poll::SignedIn)
    }

    /// Anyone: mobile ID as the identity check of an account flow
    /// (開通帳號, 忘記密碼, 帳號復用, 機關管理員查詢) or of modifying an
    /// application. The push goes to the national ID on the account, if
    /// the account may use the step; otherwise nothing is sent, and the
    /// page answers the same.
    pub async fn start_mobile_id_verification(
        &self,
        purpose: Purpose,
        who: Who<'_>,
        ctx: &Ctx,
    ) -> Result<Started> {
        let shown = match who {
            Who::NationalId(n) => mask(&n.trim().to_uppercase()),
            Who::Email(e) => e.trim().chars().take(60).collect(),
            Who::Mobile(_) => {
                return Err(Error::invalid(
                    "method",
                    Msg::new(
                        "行動自然人憑證請輸入身分證字號",
                        "Mobile ID needs the national ID",
                    ),
                ));
            }
        };
        let crate::account_flows::Subject { key, account: a } =
            self.flow_subject(purpose, who).await?;
        let mut e = crate::event(ctx, "auth.mobile_id.verify");
        e.target_kind = "account".into();
        e.target_label = a.as_ref().map(|a| a.login.clone()).unwrap_or(shown);
        let started = match a
            .as_ref()
            .and_then(|a| a.national_id.clone().map(|n| (a.id, n)))
        {
            // Past the limit: the decoy, so the answer says nothing.
            Some((account, id)) if !self.mobile_id_rate(&id, ctx).await? => {
                e.target_id = Some(account.0);
                e.outcome = Some(portico_core::audit::Outcome::Refused);
                e.reason = "too_many_pushes".into();
                None
            }
            Some((account, id)) => {
                e.target_id = Some(account.0);
                match self
                    .mobile_id_request(
                        VERIFY,
                        &id,
                        Mode::Push,
                        purpose.as_str(),
                        &key,
                        Some(account.0),
                    )
                    .await
                {
                    Ok(s) => Some(s),
                    Err(err) => {
                        e.outcome = Some(portico_core::audit::Outcome::Failed);
                        e.reason = err.short().to_owned();
                        None
                    }
                }
            }
            None => {
                e.outcome = Some(portico_core::audit::Outcome::Failed);
                e.reason = "not_eligible".into();
                // Counted as a push would be, so the client's send limit
                // does not tell an eligible ID from any other.
                self.note_send("mobile_id", &format!("mobile_id:{key}"), ctx)
                    .await?;
                None
            }
        };
        let mut db = self.db.begin().await?;
        portico_store::audit::append(&mut db, &e, self.now()).await?;
        db.commit().await.map_err(db_err)?;
        Ok(match started {
            Some(s) => s,
            None => self.mobile_id_decoy().await?,
        })
    }

    /// A transaction that never settles, for an account that may not
    /// use the step: it waits, then expires, like a real one nobody
    /// approves, so the page tells nothing.
    async fn mobile_id_decoy(&self) -> Result<Started> {
        let now = self.now();
        let data = serde_json::to_string(&Txn {
            tx: String::new(),
            ticket_id: String::new(),
            id_num: String::new(),
            challenge: String::new(),
            mode: Mode::Push,
            last_poll: now.unix_timestamp(),
            purpose: String::new(),
            key: String::new(),
            account: None,
        })
        .map_err(|e| Error::internal(e.to_string()))?;
        let handle = self
            .put_challenge(
                VERIFY,
                None,
                &data,
                time::Duration::seconds(TIME_LIMIT_SECS),
            )
            .await?;
        let mut two = [0u8; 1];
        getrandom::fill(&mut two).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
        Ok(Started {
            handle,
            mode: Mode::Push,
            qr_svg: String::new(),
            confirm: format!("{:02}", two[0] % 100),
        })
    }

    /// Polls a mobile-ID identity check: `None` while waiting, then the
    /// proof the step after it accepts.
    pub async fn poll_mobile_id_verification(
        &self,
        purpose: Purpose,
        handle: &str,
        ctx: &Ctx,
    ) -> Result<Option<String>> {
        let (t, answer) = match self.mobile_id_advance(VERIFY, handle).await? {
            Advance::Pending => return Ok(None),
            // The same words as a request nobody approved in time.
            Advance::Unknown => {
                return Err(Error::Refused(
                    ServiceError::Code("SPTKT_OVD".into()).message(),
                ));
            }
            Advance::Settled(t, a) => (t, a),
        };
        let mut e = crate::event(ctx, "auth.mobile_id.verify");
        e.target_kind = "account".into();
        e.target_label = t
            .key
            .trim_start_matches("login:")
            .chars()
            .take(60)
            .collect();
        e.target_id = t.account;
        let a = match t.account {
            Some(id) => accounts::get(
                &mut *self.db.read().await?,
                portico_core::ids::AccountId(id),
            )
            .await?
            .filter(|a| crate::account_flows::eligible(purpose, a.state)),
            None => None,
        };
        let outcome: std::result::Result<(), (String, Msg)> = match (&a, answer) {
            _ if t.purpose != purpose.as_str() => {
                Err(("wrong_purpose".into(), crate::verify::proof_expired_msg()))
            }
            (None, _) => Err(("not_eligible".into(), crate::verify::proof_expired_msg())),
            (Some(_), Err(err)) => Err((err.short().into(), err.message())),
            (Some(_), Ok((sig, cert))) => match self.mobile_id_check(&t, &sig, &cert).await? {
                Ok(()) => Ok(()),
                Err(code) => Err((code.into(), CardRefusal::BadSignature.message())),
            },
        };
        let mut db = self.db.begin().await?;
        let r = match (outcome, a) {
            (Ok(()), Some(a)) => Ok(Some(
                self.issue_proof(&mut db, purpose, &t.key, Some(a.id))
                    .await?,
            )),
            (Err((code, m)), _) => {
                e.outcome = Some(portico_core::audit::Outcome::Failed);
                e.reason = code;
                Err(Error::Refused(m))
            }
            (Ok(()), None) => Err(Error::Refused(crate::verify::proof_expired_msg())),
        };
        portico_store::audit::append(&mut db, &e, self.now()).await?;
        db.commit().await.map_err(db_err)?;
        r
    }
}
