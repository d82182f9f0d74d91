//! The authorization endpoint (OpenID Connect Core §3.1.2): the request
//! checked in order, the person's session and strength, the code issued.
use crate::oidc::{ACR_STRONG, AuthRequest, Authorize, CODE_TTL, Client, day_of, with_params};
use crate::sessions::Session;
use crate::{App, Ctx, Result, random_token, token_hash};
use portico_core::Msg;
use portico_core::audit::Outcome;
use portico_core::sso::{self};
use portico_store::clients::{self as store_clients, Service};
use portico_store::{db_err, oauth};
use time::Duration;

impl App {
    /// The authorization endpoint. `session` is the portal session, if
    /// any; `started` is when the browser began this request (a `prompt=
    /// login` sign-in must be newer).
    pub async fn authorize(
        &self,
        req: &AuthRequest,
        session: Option<&Session>,
        ctx: &Ctx,
    ) -> Result<Authorize> {
        let client = self.client(&req.client_id).await?;
        let sso = client.as_ref().and_then(|c| c.sso().cloned());
        let (Some(client), Some(sso)) = (client, sso) else {
            // Made-up client ids count against the caller's address; past
            // the limit they are no longer audited one by one.
            if self.client_rate("unknown", ctx).await? {
                self.audit_client(
                    ctx,
                    "oauth.authorize",
                    &req.client_id,
                    None,
                    "unknown_client",
                )
                .await?;
            }
            return Ok(Authorize::Page(Msg::new(
                "此應用系統未註冊或未核准單一登入服務，請洽應用系統管理者",
                "This application is not registered or not approved for single sign-on; contact its administrator",
            )));
        };
        // The redirect URI, exactly as registered. OpenID Connect Core
        // §3.1.2.1 requires it even when one URI is registered.
        let redirect = if sso::redirect_registered(&sso.redirect_uris, &req.redirect_uri) {
            req.redirect_uri.clone()
        } else {
            let (reason, msg) = if req.redirect_uri.is_empty() {
                (
                    "redirect_uri_missing",
                    Msg::new(
                        "應用系統送來的登入要求缺少導回網址（redirect_uri），為保護您的帳號已停止登入。請洽應用系統管理者",
                        "The application's sign-in request has no redirect URI (redirect_uri), so sign-in stopped to protect your account; contact the application's administrator",
                    ),
                )
            } else {
                (
                    "redirect_uri_mismatch",
                    Msg::new(
                        "應用系統送來的導回網址與註冊的不符，為保護您的帳號已停止登入。請洽應用系統管理者",
                        "The application's redirect URI does not match its registration, so sign-in stopped to protect your account; contact the application's administrator",
                    ),
                )
            };
            self.audit_client(
                ctx,
                "oauth.authorize",
                &req.client_id,
                Some(&client),
                reason,
            )
            .await?;
            return Ok(Authorize::Page(msg));
        };

        let Checked {
            scope,
            prompts,
            max_age,
        } = match checked(req, &client, &sso) {
            Ok(c) => c,
            Err((error, desc)) => {
                return self
                    .authorize_failed(ctx, &client, &redirect, req, error, desc)
                    .await;
            }
        };
        let now = self.now();
        let strong = req.acr_values.split(' ').any(|v| v == ACR_STRONG);
        let fresh_enough = |s: &Session| {
            max_age.is_none_or(|m| now - s.auth_time <= Duration::seconds(m))
                && (!strong || s.method.is_strong())
        };
        let session = match session {
            Some(s) if fresh_enough(s) && !prompts.contains(&"login") => s,
            _ if prompts.contains(&"none") => {
                return self
                    .authorize_failed(
                        ctx,
                        &client,
                        &redirect,
                        req,
                        "login_required",
                        "the person is not signed in",
                    )
                    .await;
            }
            _ => {
                return Ok(Authorize::SignIn {
                    app_name: client.app.name.clone(),
                    strong,
                });
            }
        };
        if session.must_change_password {
            if prompts.contains(&"none") {
                return self
                    .authorize_failed(
                        ctx,
                        &client,
                        &redirect,
                        req,
                        "interaction_required",
                        "the password must be changed",
                    )
                    .await;
            }
            return Ok(Authorize::ChangePassword);
        }
        let code = random_token(32)?;
        let family = random_token(16)?;
        let account = session.principal.account_id();
        let mut tx = self.db.begin().await?;
        oauth::insert_code(
            &mut tx,
            &token_hash(&code),
            &oauth::Grant {
                app_id: client.app.id,
                account_id: account,
                redirect_uri: redirect.clone(),
                scope: scope.join(" "),
                nonce: req.nonce.clone(),
                code_challenge: req.code_challenge.clone(),
                session_hash: session.id_hash.clone(),
                auth_time: session.auth_time,
                method: session.method.as_str().to_owned(),
                family,
            },
            now,
            now + CODE_TTL,
        )
        .await?;
        store_clients::count_usage(
            &mut tx,
            client.app.id,
            &day_of(now),
            store_clients::Usage::SignIn,
        )
        .await?;
        self.audit_account(
            &mut tx,
            ctx,
            "oauth.authorize",
            &client,
            account,
            Outcome::Ok,
            "",
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Authorize::Redirect(with_params(
            &redirect,
            &[
                ("code", &code),
                ("state", &req.state),
                ("iss", &self.oidc.issuer),
            ],
        )))
    }

    /// An authorization error the client should hear: audited, and sent
    /// back to its redirect URI with its state.
    pub(crate) async fn authorize_failed(
        &self,
        ctx: &Ctx,
        client: &Client,
        redirect: &str,
        req: &AuthRequest,
        error: &str,
        desc: &str,
    ) -> Result<Authorize> {
        self.audit_client_saying(
            ctx,
            "oauth.authorize",
            &client.app.client_id,
            Some(client),
            error,
            desc,
        )
        .await?;
        Ok(Authorize::Redirect(with_params(
            redirect,
            &[
                ("error", error),
                ("error_description", desc),
                // A state too long to accept is not sent back either.
                ("state", echoed_state(req)),
                ("iss", &self.oidc.issuer),
            ],
        )))
    }
}

/// The longest `state` accepted and sent back.
const MAX_STATE: usize = 1024;

fn echoed_state(req: &AuthRequest) -> &str {
    if req.state.len() > MAX_STATE {
        ""
    } else {
        &req.state
    }
}

/// What a request that passed its checks asks for.
struct Checked<'r> {
    scope: Vec<&'static str>,
    prompts: Vec<&'r str>,
    max_age: Option<i64>,
}

/// The checks of an authorization request that need no session, once the
/// client and its redirect URI are known: what it asks for, or the error
/// and its description the client is sent back (RFC 6749 §4.1.2.1).
fn checked<'r>(
    req: &'r AuthRequest,
    client: &Client,
    sso: &Service,
) -> std::result::Result<Checked<'r>, (&'static str, &'static str)> {
    if client.app.suspended {
        return Err(("unauthorized_client", "the application is suspended"));
    }
    if req.response_type != "code" {
        return Err((
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if !req.response_mode.is_empty() && req.response_mode != "query" {
        return Err(("invalid_request", "only response_mode=query is supported"));
    }
    if !req.code_challenge.is_empty() || !req.code_challenge_method.is_empty() {
        if req.code_challenge_method != "S256" {
            return Err(("invalid_request", "code_challenge_method must be S256"));
        }
        if !sso::pkce_challenge_ok(&req.code_challenge) {
            return Err(("invalid_request", "code_challenge is malformed"));
        }
    } else if client.is_public() {
        return Err((
            "invalid_request",
            "PKCE (code_challenge with S256) is required for this client",
        ));
    }
    if !req.request.is_empty() {
        return Err((
            "request_not_supported",
            "request objects (request=) are not supported",
        ));
    }
    if !req.request_uri.is_empty() {
        return Err((
            "request_uri_not_supported",
            "request objects by reference (request_uri=) are not supported",
        ));
    }
    if req.nonce.len() > 255 || req.state.len() > MAX_STATE {
        return Err(("invalid_request", "state or nonce is too long"));
    }
    let mut scope = sso::parse_scope(&req.scope);
    if !sso.api_access {
        scope.retain(|s| *s != "portico.api");
    }
    if scope.is_empty() {
        return Err(("invalid_scope", "no known scope was requested"));
    }
    let prompts: Vec<&str> = req.prompt.split(' ').filter(|p| !p.is_empty()).collect();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return Err(("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match req.max_age.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match s.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => return Err(("invalid_request", "max_age must be a number of seconds")),
        },
    };
    Ok(Checked {
        scope,
        prompts,
        max_age,
    })
}
