//! The card's use cases: a challenge to sign, binding and unbinding a
//! card, and signing in with it.
use super::*;
use crate::auth::{SignInError, Subject, self_event};
use crate::sessions::{NewSession, Session};
use crate::{App, Ctx, random_token};
use portico_core::audit::Outcome;
use portico_core::ids::AccountId;
use portico_core::verify::{Check, Purpose};
use portico_core::zone::SignInMethod;
use portico_store::{accounts, audit, db_err, factors};

/// The challenge kind of a card check for an account flow.
fn verify_kind(purpose: Purpose) -> String {
    format!("card_verify_{}", purpose.as_str())
}

fn card_again() -> Msg {
    Msg::new(
        "憑證驗證已逾時，請重新操作",
        "The card check has expired; try again",
    )
}

fn last4(national_id: Option<&str>) -> Option<String> {
    national_id
        .filter(|n| n.len() >= 4)
        .map(|n| n[n.len() - 4..].to_owned())
}

impl App {
    pub fn with_card(mut self, setup: CardSetup) -> App {
        self.card = Some(Arc::new(setup));
        self
    }

    fn card_setup(&self) -> Result<&CardSetup> {
        self.card.as_deref().ok_or_else(|| {
            Error::Refused(Msg::new(
                "本系統尚未設定自然人憑證的信任憑證機構",
                "Citizen certificate cards are not configured on this portal",
            ))
        })
    }

    /// Forgets fetched CRLs, so the next check fetches them again.
    pub fn forget_card_crls(&self) {
        if let Some(c) = &self.card {
            c.trust.forget_crls();
        }
    }

    /// Whether cards can be used here (a trust anchor is configured).
    pub fn card_enabled(&self) -> bool {
        self.card.is_some()
    }

    /// A one-time challenge for a card to sign (`kind`: bind or sign-in).
    async fn card_challenge(
        &self,
        kind: &str,
        account: Option<AccountId>,
    ) -> Result<CardChallenge> {
        let agent = self.card_setup()?.agent_url.clone();
        let tbs = format!("portico-{}", random_token(16)?);
        let handle = self.put_challenge(kind, account, &tbs, CARD_TTL).await?;
        Ok(CardChallenge { handle, tbs, agent })
    }

    /// Parses and verifies a card signature over `tbs`, revocation
    /// included.
    async fn card_verify(
        &self,
        signature: &str,
        tbs: &str,
    ) -> std::result::Result<CardIdentity, (CardRefusal, Option<(String, String)>)> {
        let setup = match self.card_setup() {
            Ok(s) => s,
            Err(_) => return Err((CardRefusal::Untrusted, None)),
        };
        let signed = parse(signature, tbs.as_bytes()).map_err(|r| (r, None))?;
        let claimed = signed.claimed();
        // Revocation last: only a certificate that chains to an anchor
        // gets its CRL fetched.
        signed
            .verify(&setup.trust.anchors, None, self.now())
            .map_err(|r| (r, claimed.clone()))?;
        let crls = setup.trust.crls(&signed.crl_urls()).await;
        let crls: Vec<&[u8]> = crls.iter().map(|c| c.as_slice()).collect();
        signed
            .verify(&setup.trust.anchors, Some(&crls), self.now())
            .map_err(|r| (r, claimed))
    }

    pub async fn card_bind_start(&self, s: &Session) -> Result<CardChallenge> {
        self.card_challenge("card_bind", Some(s.principal.account_id()))
            .await
    }

    /// Binds the card that signed the challenge to the signed-in
    /// person, when the ID digits in its certificate match theirs.
    pub async fn card_bind_finish(
        &self,
        s: &Session,
        handle: &str,
        signature: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let account = s.principal.account_id();
        let refused = |m: Msg| Err(Error::Refused(m));
        let Some((Some(owner), tbs)) = self.take_challenge("card_bind", handle).await? else {
            return refused(Msg::new(
                "綁定逾時，請重新開始",
                "The binding timed out; start again",
            ));
        };
        if owner != account {
            return refused(Msg::new(
                "綁定逾時，請重新開始",
                "The binding timed out; start again",
            ));
        }
        let now = self.now();
        let mut e = self_event(ctx, "account.card.bind", &s.principal);
        let verified = self.card_verify(signature, &tbs).await;
        let a = accounts::get(&mut *self.db.read().await?, account)
            .await?
            .ok_or(Error::NotFound)?;
        let outcome = match verified {
            Err((r, _)) => Err((r.code(), r.message())),
            Ok(id) if last4(a.national_id.as_deref()).as_deref() != Some(id.id_last4.as_str()) => {
                Err((
                    "card_id_mismatch",
                    Msg::new(
                        "憑證上的身分證字號末四碼與您的帳號不符，無法綁定",
                        "The ID digits on the card do not match your account",
                    ),
                ))
            }
            Ok(id) => Ok(id),
        };
        let mut tx = self.db.begin().await?;
        match outcome {
            Err((code, m)) => {
                e.outcome = Some(Outcome::Failed);
                e.reason = code.into();
                audit::append(&mut tx, &e, now).await?;
                tx.commit().await.map_err(db_err)?;
                Err(Error::Refused(m))
            }
            Ok(id) => {
                factors::cert_insert(
                    &mut tx,
                    account,
                    &id.issuer,
                    &id.serial,
                    &id.subject,
                    id.not_after,
                    now,
                )
                .await?;
                e.detail =
                    serde_json::json!({"serial": id.serial, "issuer": id.issuer}).to_string();
                audit::append(&mut tx, &e, now).await?;
                tx.commit().await.map_err(db_err)
            }
        }
    }

    pub async fn my_cards(&self, account: AccountId) -> Result<Vec<factors::BoundCert>> {
        factors::certs_of(&mut *self.db.read().await?, account).await
    }

    pub async fn card_unbind(&self, s: &Session, id: i64, ctx: &Ctx) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if factors::cert_delete(&mut tx, s.principal.own_account(), Some(id)).await? == 0 {
            return Err(Error::NotFound);
        }
        let mut e = self_event(ctx, "account.card.unbind", &s.principal);
        e.detail = serde_json::json!({ "id": id }).to_string();
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Anyone: the challenge of a card as the identity check of an account
    /// flow (忘記密碼 by 自然人憑證, 004 L795).
    pub async fn card_verification_start(
        &self,
        purpose: Purpose,
        ctx: &Ctx,
    ) -> Result<CardChallenge> {
        if !purpose.checks().contains(&Check::Card) {
            return Err(Error::NotFound);
        }
        // Each challenge is a stored row: a signed-out caller gets a few a
        // minute, as many as a person with a card and a PIN needs.
        if !self
            .rate_allow(&format!("card-verify:{}", ctx.ip), 10)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "操作次數過多，請稍候一分鐘再試",
                "Too many tries; wait a minute and try again",
            )));
        }
        self.card_challenge(&verify_kind(purpose), None).await
    }

    /// Anyone: the card's signature over that challenge. A verified card
    /// bound to an account that may use the step (its ID digits matching)
    /// gives the step's proof; otherwise the person hears why, which tells
    /// only the card's holder about their own card.
    pub async fn card_verification_finish(
        &self,
        purpose: Purpose,
        handle: &str,
        signature: &str,
        ctx: &Ctx,
    ) -> Result<String> {
        let mut e = crate::event(ctx, "auth.card.verify");
        e.target_kind = "account".into();
        let verdict = self
            .card_verification(purpose, handle, signature, &mut e)
            .await;
        e.outcome = Some(if verdict.is_ok() {
            Outcome::Ok
        } else {
            Outcome::Failed
        });
        let mut tx = self.db.begin().await?;
        audit::append(&mut tx, &e, self.now()).await?;
        let token = match &verdict {
            Ok((account, key)) => Ok(self
                .issue_proof(&mut tx, purpose, key, Some(*account))
                .await?),
            Err(m) => Err(Error::Refused(m.clone())),
        };
        tx.commit().await.map_err(db_err)?;
        token
    }

    /// What a card's answer proves: the account and the proof's key, or
    /// why not (the reason noted on `e`).
    async fn card_verification(
        &self,
        purpose: Purpose,
        handle: &str,
        signature: &str,
        e: &mut audit::NewEvent,
    ) -> std::result::Result<(AccountId, String), Msg> {
        let refuse = |e: &mut audit::NewEvent, reason: &str, m: Msg| {
            e.reason = reason.to_owned();
            m
        };
        let Ok(Some((_, tbs))) = self.take_challenge(&verify_kind(purpose), handle).await else {
            return Err(refuse(e, "unknown_challenge", card_again()));
        };
        let id = self
            .card_verify(signature, &tbs)
            .await
            .map_err(|(r, _)| refuse(e, r.code(), r.message()))?;
        let not_bound = Msg::new(
            "此自然人憑證未綁定可使用此項作業的帳號，請改用其他驗證方式",
            "This card is not bound to an account that can use this step; choose another check",
        );
        let Ok(mut c) = self.db.read().await else {
            return Err(refuse(e, "unavailable", card_again()));
        };
        let bound = factors::cert_by_serial(&mut c, &id.issuer, &id.serial).await;
        let Ok(Some(bound)) = bound else {
            return Err(refuse(e, "card_not_bound", not_bound));
        };
        let Ok(Some(a)) = accounts::get(&mut c, bound.account_id).await else {
            return Err(refuse(e, "card_not_bound", not_bound));
        };
        e.target_id = Some(a.id.0);
        e.target_label = a.login.clone();
        e.scope_path = a.unit_path.as_str().to_owned();
        if last4(a.national_id.as_deref()).as_deref() != Some(id.id_last4.as_str()) {
            return Err(refuse(e, "card_id_mismatch", not_bound));
        }
        if !crate::account_flows::eligible(purpose, a.state) {
            return Err(refuse(e, "not_eligible", not_bound));
        }
        Ok((a.id, format!("card:{}:{}", id.issuer, id.serial)))
    }

    pub async fn card_sign_in_start(&self, ctx: &Ctx) -> Result<CardChallenge, SignInError> {
        self.zone_gate(SignInMethod::Certificate, "", ctx).await?;
        Ok(self.card_challenge("card_sign_in", None).await?)
    }

    /// Signs in with the card (004 §第一節 二: card and PIN; the PIN
    /// stays between the page and the card). A forged or refused card
    /// whose certificate is bound counts towards that account's lockout.
    pub async fn sign_in_card(
        &self,
        handle: &str,
        signature: &str,
        ctx: &Ctx,
    ) -> Result<NewSession, SignInError> {
        let method = SignInMethod::Certificate;
        self.zone_gate(method, "", ctx).await?;
        let fail = crate::auth::attempt_event(ctx, "", method.as_str());
        let Some((_, tbs)) = self.take_challenge("card_sign_in", handle).await? else {
            return self.failed_attempt(fail, "unknown_challenge", method).await;
        };
        let verified = self.card_verify(signature, &tbs).await;
        let (issuer, serial) = match &verified {
            Ok(id) => (id.issuer.clone(), id.serial.clone()),
            Err((_, Some(claimed))) => claimed.clone(),
            Err((r, None)) => return self.failed_attempt(fail, r.code(), method).await,
        };
        let bound = factors::cert_by_serial(&mut *self.db.read().await?, &issuer, &serial).await?;
        let Some(bound) = bound else {
            let reason = match &verified {
                Ok(_) => "card_not_bound",
                Err((r, _)) => r.code(),
            };
            return self.failed_attempt(fail, reason, method).await;
        };
        // Certificates are public (the MOICA directory): a signature that
        // does not verify under the certificate it claims proves nothing
        // about its holder, and counting it would let anyone lock any card
        // holder's account. It is audited against that account, not
        // counted. A verified signature that is wrong otherwise (another
        // challenge, a revoked card) came from the card, and counts.
        if let Err((
            r @ (CardRefusal::BadSignature | CardRefusal::Malformed | CardRefusal::Untrusted),
            _,
        )) = &verified
        {
            let mut fail = fail;
            fail.target_id = Some(bound.account_id.0);
            return self.failed_attempt(fail, r.code(), method).await;
        }
        let (account, fail) = self
            .sign_in_subject(Subject::Account(bound.account_id), fail)
            .await?;
        let check = match &verified {
            Err((r, _)) => Err(r.code()),
            Ok(id)
                if last4(account.national_id.as_deref()).as_deref()
                    != Some(id.id_last4.as_str()) =>
            {
                Err("card_id_mismatch")
            }
            Ok(_) => Ok(()),
        };
        let mut checked = self.sign_in_verdict(account, fail, check, method).await?;
        // In the sign-in's own transaction: a second one would wait
        // for it (SQLite has one writer).
        factors::cert_used(&mut checked.tx, bound.id, self.now()).await?;
        self.start_session(checked, method, ctx).await
    }
}
