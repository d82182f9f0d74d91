//! Identity verification for signed-out steps: a six-digit code sent to an
//! address, then a short-lived proof that the next step accepts. Codes are
//! single use, expire after 10 minutes, die after 5 wrong tries, and sending
//! is limited per address and per client (security baseline: block
//! automated attempts). Other methods (certificate card, mobile ID) issue
//! the same proof.
use crate::outbox::Outgoing;
use crate::{App, Ctx, Result, mail, token_hash};
use portico_core::ids::AccountId;
use portico_core::outbox::Channel;
use portico_core::verify::{
    CODE_TTL, MAX_SENDS_PER_ADDRESS, MAX_SENDS_PER_INTERNAL_IP, MAX_SENDS_PER_IP, MAX_TRIES,
    Purpose, SEND_WINDOW, VERIFIED_TTL, code_refused, parse_code, too_many_sends,
};
use portico_core::{Error, Msg};
use portico_store::codes::{self, NewCode, Verified};
use portico_store::{Tx, db_err};

/// Where a code goes, if anywhere. `None` sends nothing but still counts
/// and answers the same, so a page never tells whether an account exists.
pub(crate) struct Destination<'a> {
    pub channel: Channel,
    pub to: &'a str,
    pub account: Option<AccountId>,
    pub scope_path: &'a str,
}

/// How a signed-out person names themselves to an identity check: by the
/// backup e-mail or bound mobile a code goes to, or by the national ID a
/// mobile-ID push goes to (004 L588, L691, L883, L928).
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    Email(&'a str),
    Mobile(&'a str),
    NationalId(&'a str),
}

fn code_hash(purpose: Purpose, key: &str, code: &str) -> String {
    token_hash(&format!("{}\u{1f}{key}\u{1f}{code}", purpose.as_str()))
}

/// Six random digits.
fn new_code() -> Result<String> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

impl App {
    /// Issues a code for `purpose` under `key` (the address, or
    /// `login:NAME` for account flows) and, when `dest` is given, puts it in
    /// the outbox — all in the caller's transaction. Refuses past the
    /// sending limits.
    pub(crate) async fn issue_code(
        &self,
        tx: &mut Tx,
        purpose: Purpose,
        key: &str,
        dest: Option<Destination<'_>>,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        // A signed-in person binding a contact is counted as themselves:
        // an office behind one address must not share twenty codes.
        let client = match (purpose, dest.as_ref().and_then(|d| d.account)) {
            (Purpose::BindAddress, Some(a)) => format!("account:{}", a.0),
            _ => ctx.ip.clone(),
        };
        if !self.within_send_limits(tx, key, &client, ctx).await? {
            return Err(Error::Refused(too_many_sends()));
        }
        let code = new_code()?;
        codes::insert(
            tx,
            &NewCode {
                purpose: purpose.as_str(),
                address: key,
                code_hash: &code_hash(purpose, key, &code),
                expires_at: now + CODE_TTL,
                ip: &client,
            },
            now,
        )
        .await?;
        if let Some(d) = dest {
            let minutes = CODE_TTL.whole_minutes();
            // Codes go by mail or SMS, never by another channel.
            let t = if d.channel == Channel::Sms {
                mail::code_sms(purpose, &code, minutes)
            } else {
                mail::code(purpose, &code, minutes)
            };
            crate::outbox::put(
                tx,
                Outgoing {
                    channel: d.channel,
                    to: d.to,
                    subject: t.subject,
                    body: t.body,
                    account: d.account,
                    scope_path: d.scope_path,
                    secret: true,
                },
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Whether one more message may go to `key` (an address, or a national
    /// ID for a mobile-ID push) from `client` (an address, or a signed-in
    /// account): 5 an hour per key, 20 per client — or
    /// [`MAX_SENDS_PER_INTERNAL_IP`] from an address inside the government
    /// network, where a whole office may sit behind one. What was sent is
    /// the codes table, pushes included.
    pub(crate) async fn within_send_limits(
        &self,
        tx: &mut Tx,
        key: &str,
        client: &str,
        ctx: &Ctx,
    ) -> Result<bool> {
        let (by_key, by_client) =
            codes::sends_since(tx, key, client, self.now() - SEND_WINDOW).await?;
        if by_key >= MAX_SENDS_PER_ADDRESS {
            return Ok(false);
        }
        if by_client < MAX_SENDS_PER_IP {
            return Ok(true);
        }
        let internal = match ctx.address() {
            Some(ip) if client == ctx.ip => self.zones().await?.is_internal(ip),
            _ => false,
        };
        Ok(internal && by_client < MAX_SENDS_PER_INTERNAL_IP)
    }

    /// Notes a message that carries no code (a mobile-ID push, a login
    /// reminder) beside the codes sent, after checking the send limits for
    /// `key`; false, and nothing noted, past them.
    pub(crate) async fn note_send(&self, purpose: &str, key: &str, ctx: &Ctx) -> Result<bool> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !self.within_send_limits(&mut tx, key, &ctx.ip, ctx).await? {
            return Ok(false);
        }
        codes::insert(
            &mut tx,
            &NewCode {
                purpose,
                address: key,
                code_hash: "",
                expires_at: now,
                ip: &ctx.ip,
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    /// Checks a typed code. Every try counts (kept even when the answer is
    /// an error); the right one is used up and a proof issued, returned as
    /// the token the next step presents.
    pub(crate) async fn check_code(
        &self,
        purpose: Purpose,
        key: &str,
        typed: &str,
        proof_for: Option<AccountId>,
    ) -> Result<String> {
        let typed = parse_code(typed).map_err(|m| Error::invalid("code", m))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let refused = || Error::invalid("code", code_refused());
        let Some(open) = codes::open(&mut tx, purpose.as_str(), key).await? else {
            return Err(refused());
        };
        if open.expires_at <= now {
            return Err(refused());
        }
        // The try is counted before the comparison, under the row's update:
        // parallel guesses cannot get past the limit together.
        if !codes::claim_try(&mut tx, open.id, i64::from(MAX_TRIES)).await? {
            return Err(refused());
        }
        if !crate::constant_time_eq(
            code_hash(purpose, key, &typed).as_bytes(),
            open.code_hash.as_bytes(),
        ) {
            tx.commit().await.map_err(db_err)?;
            return Err(refused());
        }
        if !codes::consume(&mut tx, open.id, now).await? {
            return Err(refused());
        }
        let token = self.issue_proof(&mut tx, purpose, key, proof_for).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(token)
    }

    /// A proof that `key` (and the account, if any) passed an identity
    /// check for `purpose`: the token the next step presents.
    pub(crate) async fn issue_proof(
        &self,
        tx: &mut Tx,
        purpose: Purpose,
        key: &str,
        proof_for: Option<AccountId>,
    ) -> Result<String> {
        let now = self.now();
        let token = crate::random_token(24)?;
        codes::insert_verified(
            tx,
            &token_hash(&token),
            &Verified {
                purpose: purpose.as_str().to_owned(),
                address: key.to_owned(),
                account_id: proof_for,
                expires_at: now + VERIFIED_TTL,
            },
            now,
        )
        .await?;
        Ok(token)
    }

    /// The proof behind a token, if it is for `purpose` and still valid.
    pub async fn proof(&self, token: &str, purpose: Purpose) -> Result<Verified> {
        let v = codes::verified(&mut *self.db.read().await?, &token_hash(token))
            .await?
            .filter(|v| v.purpose == purpose.as_str() && v.expires_at > self.now())
            .ok_or_else(proof_expired)?;
        Ok(v)
    }

    /// Removes expired proofs, old codes, and sent messages older than 30
    /// days (the janitor).
    pub async fn purge_verification(&self) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let n = codes::purge(&mut tx, self.now()).await?
            + portico_store::outbox::purge_sent(&mut tx, self.now() - time::Duration::days(30))
                .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    /// Ends a proof inside the step's transaction: a second submit of the
    /// same step finds it gone.
    pub(crate) async fn end_proof(&self, tx: &mut Tx, token: &str) -> Result<()> {
        if codes::delete_verified(tx, &token_hash(token)).await? {
            Ok(())
        } else {
            Err(proof_expired())
        }
    }
}

/// The message when a verified step has timed out or was already finished.
pub fn proof_expired_msg() -> Msg {
    Msg::new(
        "身分驗證已逾時或已使用，請重新驗證",
        "Your verification has expired or was already used; verify again",
    )
}

/// [`proof_expired_msg`] as the error a use case returns.
pub fn proof_expired() -> Error {
    Error::Refused(proof_expired_msg())
}
