//! Passkeys (WebAuthn): registered in the personal page, named and removed
//! there; signing in with one needs no login name and no password (a
//! discoverable credential with user verification).
use crate::auth::{SignInError, Subject, self_event};
use crate::sessions::{NewSession, Session};
use crate::{App, Ctx, Result};
use portico_core::audit::Outcome;
use portico_core::ids::AccountId;
use portico_core::zone::SignInMethod;
use portico_core::{Error, Msg};
use portico_store::{audit, db_err, factors};
use std::sync::Arc;
use time::Duration;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// A ceremony must finish within this time.
const CEREMONY_TTL: Duration = Duration::minutes(5);
/// Passkeys one account may hold.
const MAX_PASSKEYS: usize = 10;
/// The high half of every account's WebAuthn user handle ("portico\0").
const HANDLE_PREFIX: u64 = 0x706f_7274_6963_6f00;

/// The relying party of a portal at `public_url`. Browsers refuse WebAuthn
/// on an IP address, so a portal on a loopback address (the demo) is the
/// relying party `localhost` on the same port.
pub fn relying_party(public_url: &str) -> Result<Arc<Webauthn>> {
    let bad = |e: String| Error::internal(format!("passkeys: {e}"));
    let mut origin = Url::parse(public_url).map_err(|e| bad(e.to_string()))?;
    let host = origin.host_str().unwrap_or("").to_owned();
    let ip_host = host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok();
    if ip_host {
        origin
            .set_host(Some("localhost"))
            .map_err(|e| bad(e.to_string()))?;
    }
    origin.set_path("");
    let rp_id = origin.host_str().unwrap_or("localhost").to_owned();
    let w = WebauthnBuilder::new(&rp_id, &origin)
        .map_err(|e| bad(e.to_string()))?
        .rp_name("臺南市政府公務入口網")
        .build()
        .map_err(|e| bad(e.to_string()))?;
    Ok(Arc::new(w))
}

/// An account's WebAuthn user handle: stable, and not its login.
fn user_handle(account: AccountId) -> Uuid {
    Uuid::from_u64_pair(HANDLE_PREFIX, account.0 as u64)
}

fn account_of_handle(u: Uuid) -> Option<AccountId> {
    let (hi, lo) = u.as_u64_pair();
    (hi == HANDLE_PREFIX).then_some(AccountId(lo as i64))
}

fn b64url(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn json_err(e: serde_json::Error) -> Error {
    Error::internal(format!("passkey state: {e}"))
}

/// A ceremony started: the handle the browser sends back, and the options
/// for `navigator.credentials`.
#[derive(Debug, serde::Serialize)]
pub struct Ceremony<T> {
    pub handle: String,
    pub options: T,
}

fn bad_passkey_name() -> Error {
    Error::invalid(
        "name",
        Msg::new(
            "請為通行金鑰命名（1 至 40 字），例如「辦公室電腦」",
            "Name the passkey (1 to 40 characters), e.g. \"Office PC\"",
        ),
    )
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 40 || name.chars().any(char::is_control) {
        return Err(bad_passkey_name());
    }
    Ok(name.to_owned())
}

impl App {
    fn webauthn(&self) -> Result<&Webauthn> {
        self.webauthn
            .as_deref()
            .ok_or_else(|| Error::internal("passkeys are not configured (no public URL)"))
    }

    /// The relying party id, for the page to tell a person on another host
    /// name where passkeys work.
    pub fn passkey_rp_id(&self) -> String {
        self.webauthn
            .as_deref()
            .and_then(|w| w.get_allowed_origins().first())
            .and_then(|o| o.host_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub async fn my_passkeys(&self, account: AccountId) -> Result<Vec<factors::PasskeyRow>> {
        factors::passkeys_of(&mut *self.db.read().await?, account).await
    }

    async fn put_ceremony<T: serde::Serialize>(
        &self,
        kind: &str,
        account: Option<AccountId>,
        state: &T,
    ) -> Result<String> {
        let data = serde_json::to_string(state).map_err(json_err)?;
        self.put_challenge(kind, account, &data, CEREMONY_TTL).await
    }

    /// Starts registering a passkey for the signed-in person, who enters
    /// the password again; the name is checked first, so a missing one is
    /// told before the device asks.
    pub async fn passkey_register_start(
        &self,
        s: &Session,
        name: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<Ceremony<serde_json::Value>> {
        check_name(name)?;
        let account = s.principal.account_id();
        // The password again: a passkey is a strong method, and a stolen
        // session must not mint one.
        self.reauthenticate(&s.principal, password, "account.passkey.add", ctx)
            .await?;
        let existing = self.stored_passkeys(account).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(Error::Refused(Msg::new(
                "通行金鑰最多 10 把，請先移除不用的",
                "At most 10 passkeys; remove one you no longer use first",
            )));
        }
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        let (ccr, state) = self
            .webauthn()?
            .start_passkey_registration(
                user_handle(account),
                s.principal.login(),
                s.principal.name(),
                Some(exclude),
            )
            .map_err(|e| Error::internal(format!("passkey registration: {e}")))?;
        // Signing in without a login name needs a discoverable credential.
        let mut options = serde_json::to_value(&ccr).map_err(json_err)?;
        if let Some(sel) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(|v| v.as_object_mut())
        {
            sel.insert("residentKey".into(), "required".into());
            sel.insert("requireResidentKey".into(), true.into());
        }
        let handle = self
            .put_ceremony("passkey_register", Some(account), &state)
            .await?;
        Ok(Ceremony { handle, options })
    }

    async fn stored_passkeys(&self, account: AccountId) -> Result<Vec<Passkey>> {
        let mut c = self.db.read().await?;
        let mut out = Vec::new();
        for row in factors::passkeys_of(&mut c, account).await? {
            if let Some((_, _, json)) =
                factors::passkey_by_credential(&mut c, &row.credential_id).await?
            {
                out.push(serde_json::from_str(&json).map_err(json_err)?);
            }
        }
        Ok(out)
    }

    /// Finishes registering: the browser's answer to the ceremony `handle`.
    pub async fn passkey_register_finish(
        &self,
        s: &Session,
        handle: &str,
        name: &str,
        credential: &serde_json::Value,
        ctx: &Ctx,
    ) -> Result<()> {
        let name = check_name(name)?;
        let account = s.principal.account_id();
        let expired = || {
            Error::Refused(Msg::new(
                "註冊逾時或已完成，請重新開始",
                "The registration timed out or was finished already; start again",
            ))
        };
        let Some((Some(owner), state)) = self.take_challenge("passkey_register", handle).await?
        else {
            return Err(expired());
        };
        if owner != account {
            return Err(expired());
        }
        let state: PasskeyRegistration = serde_json::from_str(&state).map_err(json_err)?;
        let now = self.now();
        let mut e = self_event(ctx, "account.passkey.add", &s.principal);
        let outcome = serde_json::from_value::<RegisterPublicKeyCredential>(credential.clone())
            .map_err(|e| e.to_string())
            .and_then(|c| {
                self.webauthn()
                    .map_err(|e| e.to_string())?
                    .finish_passkey_registration(&c, &state)
                    .map_err(|e| e.to_string())
            });
        let mut tx = self.db.begin().await?;
        let pk = match outcome {
            Ok(pk) => pk,
            Err(why) => {
                e.outcome = Some(Outcome::Failed);
                e.reason = "bad_registration".into();
                e.detail =
                    serde_json::json!({ "error": why.chars().take(200).collect::<String>() })
                        .to_string();
                audit::append(&mut tx, &e, now).await?;
                tx.commit().await.map_err(db_err)?;
                return Err(Error::Refused(Msg::new(
                    "通行金鑰註冊失敗，請再試一次",
                    "The passkey could not be registered; try again",
                )));
            }
        };
        let cred_id = b64url(pk.cred_id().as_ref());
        factors::passkey_insert(
            &mut tx,
            account,
            &cred_id,
            &name,
            &serde_json::to_string(&pk).map_err(json_err)?,
            now,
        )
        .await?;
        e.detail = serde_json::json!({ "name": name }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn passkey_rename(&self, s: &Session, id: i64, name: &str, ctx: &Ctx) -> Result<()> {
        let name = check_name(name)?;
        let mut tx = self.db.begin().await?;
        if !factors::passkey_rename(&mut tx, s.principal.account_id(), id, &name).await? {
            return Err(Error::NotFound);
        }
        let mut e = self_event(ctx, "account.passkey.rename", &s.principal);
        e.detail = serde_json::json!({ "id": id, "name": name }).to_string();
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn passkey_remove(&self, s: &Session, id: i64, ctx: &Ctx) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if factors::passkey_delete(&mut tx, s.principal.own_account(), Some(id)).await? == 0 {
            return Err(Error::NotFound);
        }
        let mut e = self_event(ctx, "account.passkey.remove", &s.principal);
        e.detail = serde_json::json!({ "id": id }).to_string();
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Starts a passkey sign-in: any passkey of any account may answer.
    pub async fn passkey_sign_in_start(
        &self,
        ctx: &Ctx,
    ) -> Result<Ceremony<RequestChallengeResponse>, SignInError> {
        self.zone_gate(SignInMethod::Passkey, "", ctx).await?;
        let (mut rcr, state) = self
            .webauthn()?
            .start_discoverable_authentication()
            .map_err(|e| Error::internal(format!("passkey sign-in: {e}")))?;
        // A button, not the autofill prompt.
        rcr.mediation = None;
        let handle = self
            .put_ceremony::<DiscoverableAuthentication>("passkey_sign_in", None, &state)
            .await?;
        Ok(Ceremony {
            handle,
            options: rcr,
        })
    }

    /// Finishes a passkey sign-in. A signature over another challenge, an
    /// unknown credential, or a counter that went backwards (a cloned key)
    /// is refused and audited; against a known account it counts towards
    /// the lockout.
    pub async fn passkey_sign_in_finish(
        &self,
        handle: &str,
        credential: &serde_json::Value,
        ctx: &Ctx,
    ) -> Result<NewSession, SignInError> {
        let method = SignInMethod::Passkey;
        self.zone_gate(method, "", ctx).await?;
        let fail = crate::auth::attempt_event(ctx, "", method.as_str());
        let now = self.now();
        let refuse = |fail, reason| self.failed_attempt(fail, reason, method);
        let Some((_, state)) = self.take_challenge("passkey_sign_in", handle).await? else {
            return refuse(fail, "unknown_challenge").await;
        };
        let state: DiscoverableAuthentication = serde_json::from_str(&state).map_err(json_err)?;
        let Ok(cred) = serde_json::from_value::<PublicKeyCredential>(credential.clone()) else {
            return refuse(fail, "malformed").await;
        };
        let w = self.webauthn()?;
        let Ok((uuid, cred_id)) = w.identify_discoverable_authentication(&cred) else {
            return refuse(fail, "no_user_handle").await;
        };
        let cred_id = b64url(cred_id);
        let stored = factors::passkey_by_credential(&mut *self.db.read().await?, &cred_id).await?;
        let Some((row_id, account, json)) = stored else {
            return refuse(fail, "unknown_passkey").await;
        };
        let (acc, fail) = self
            .sign_in_subject(Subject::Account(account), fail)
            .await?;
        if account_of_handle(uuid) != Some(account) {
            // A known key answering for someone else: counted against the
            // key's account.
            self.sign_in_verdict(acc, fail, Err("wrong_user_handle"), method)
                .await?;
            return Err(SignInError::BadCredentials(method));
        }
        let mut pk: Passkey = serde_json::from_str(&json).map_err(json_err)?;
        #[allow(deprecated)] // the _v2 form needs the library's credential internals
        let verified =
            w.finish_discoverable_authentication(&cred, state, &[DiscoverableKey::from(&pk)]);
        let check = match verified {
            Ok(res) => {
                pk.update_credential(&res);
                let after = serde_json::to_string(&pk).map_err(json_err)?;
                // Conditional on the stored state: of two sign-ins racing
                // with one counter value, one wins.
                let mut tx = self.db.begin().await?;
                let fresh = factors::passkey_used(&mut tx, row_id, &json, &after, now).await?;
                tx.commit().await.map_err(db_err)?;
                if fresh {
                    Ok(())
                } else {
                    Err("passkey_counter")
                }
            }
            Err(webauthn_rs::prelude::WebauthnError::CredentialPossibleCompromise) => {
                Err("passkey_counter")
            }
            Err(_) => Err("bad_passkey"),
        };
        let checked = self.sign_in_verdict(acc, fail, check, method).await?;
        self.start_session(checked, method, ctx).await
    }
}
