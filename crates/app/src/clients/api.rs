//! The application APIs a registered application calls with its client
//! credentials, from its registered addresses: 帳號驗證 (account
//! verification under the sign-in rules) and 簡訊發送 (SMS within a daily
//! quota, through the outbox).
use super::*;

impl App {
    /// The account-verification API (帳號驗證, 004 §捌 七 (二)): an
    /// application with its own login form asks whether a login and
    /// password are right. The sign-in page's rules apply: lockout, state,
    /// password expiry; every attempt is audited.
    pub async fn verify_account(
        &self,
        client: &Client,
        login: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<Verified> {
        let service = client
            .service(ServiceKind::Verify)
            .ok_or_else(|| not_approved(ServiceKind::Verify))?;
        if !portico_core::clients::ip_allowed(&client.app.ips, ctx.address_text()) {
            self.audit_client(
                ctx,
                "app.verify",
                &client.app.client_id,
                Some(client),
                "ip_not_registered",
            )
            .await?;
            return Err(from_registered_ip());
        }
        let settings = self.settings().await?;
        let key = format!("verify:{}", login.trim().to_ascii_lowercase());
        if !self
            .rate_allow(&key, settings.verify_account_per_minute)
            .await?
        {
            self.audit_client(
                ctx,
                "app.verify",
                &client.app.client_id,
                Some(client),
                "rate_limited",
            )
            .await?;
            return Ok(Verified {
                ok: false,
                reason: "rate_limited".into(),
                message: "此帳號驗證次數過多，請稍後再試 / Too many verifications for this login; try again later".into(),
                claims: None,
            });
        }
        let lang = portico_core::Lang::ZhTw;
        match self
            .check_password(login, password, ctx, "verify_api", &client.app.name)
            .await
        {
            Ok(checked) => {
                let mut tx = checked.tx;
                let now = self.now();
                let mut ev = checked.event;
                store_clients::count_usage(
                    &mut tx,
                    client.app.id,
                    &day_of(now),
                    store_clients::Usage::Verify,
                )
                .await?;
                if checked.password_due {
                    ev.outcome = Some(Outcome::Refused);
                    ev.reason = "password_expired".into();
                    audit::append(&mut tx, &ev, now).await?;
                    tx.commit().await.map_err(db_err)?;
                    return Ok(Verified {
                        ok: false,
                        reason: "password_expired".into(),
                        message: "密碼已到期，請先至公務入口網變更密碼 / The password has expired; change it on the portal first".into(),
                        claims: None,
                    });
                }
                audit::append(&mut tx, &ev, now).await?;
                tx.commit().await.map_err(db_err)?;
                let mut claims = Map::new();
                claims.insert("sub".into(), json!(checked.account.id.0.to_string()));
                claims.extend(
                    self.person_claims(&checked.account, client.app.id, &service.claims)
                        .await?,
                );
                Ok(Verified {
                    ok: true,
                    reason: String::new(),
                    message: String::new(),
                    claims: Some(claims),
                })
            }
            Err(SignInError::Other(e)) => Err(e),
            Err(e) => {
                let reason = match &e {
                    SignInError::Refused(r) => r.code().to_owned(),
                    _ => "bad_credentials".to_owned(),
                };
                let m = e.message();
                Ok(Verified {
                    ok: false,
                    reason,
                    message: format!("{} / {}", m.get(lang), m.en),
                    claims: None,
                })
            }
        }
    }

    /// The SMS API (簡訊發送, 004 §捌 七 (四)): an application sends an SMS
    /// through the portal's outbox and gateway, within its daily quota.
    /// Returns the outbox message id.
    pub async fn app_send_sms(
        &self,
        client: &Client,
        mobile: &str,
        message: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let service = client
            .service(ServiceKind::Sms)
            .ok_or_else(|| not_approved(ServiceKind::Sms))?;
        if !portico_core::clients::ip_allowed(&client.app.ips, ctx.address_text()) {
            self.audit_client(
                ctx,
                "app.sms",
                &client.app.client_id,
                Some(client),
                "ip_not_registered",
            )
            .await?;
            return Err(from_registered_ip());
        }
        let mut c = Collector::new();
        let to = c.take("mobile", MobilePhone::parse(mobile));
        let text = c.take("message", portico_core::clients::sms_text(message));
        if !c.is_empty() {
            self.audit_client(
                ctx,
                "app.sms",
                &client.app.client_id,
                Some(client),
                "invalid_input",
            )
            .await?;
        }
        c.finish()?;
        let (Some(to), Some(text)) = (to, text) else {
            return Err(Error::internal("collector missed an error"));
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store_clients::take_sms_quota(&mut tx, client.app.id, &day_of(now), service.sms_quota)
            .await?
        {
            drop(tx);
            self.audit_client(
                ctx,
                "app.sms",
                &client.app.client_id,
                Some(client),
                "quota_exceeded",
            )
            .await?;
            return Err(Error::Refused(Msg::owned(
                format!("今日簡訊已達核准上限 {} 則", service.sms_quota),
                format!(
                    "Today's approved quota of {} messages is used up",
                    service.sms_quota
                ),
            )));
        }
        let id = crate::outbox::put(
            &mut tx,
            Outgoing {
                channel: Channel::Sms,
                to: to.as_str(),
                subject: client.app.name.clone(),
                body: text,
                account: None,
                scope_path: "",
                secret: false,
            },
            now,
        )
        .await?;
        let mut e = event(ctx, "app.sms");
        e.target_kind = "app".into();
        e.target_id = Some(client.app.id);
        e.target_label = client.app.name.clone();
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({"message": id, "to": mask_mobile(to.as_str())}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(id)
    }
}

/// `0912***678`: enough to tell messages apart in the audit log.
fn mask_mobile(m: &str) -> String {
    if m.len() < 7 {
        return "***".into();
    }
    format!("{}***{}", &m[..4], &m[m.len() - 3..])
}
