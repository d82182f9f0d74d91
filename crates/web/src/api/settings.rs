//! System parameters under `/api/v1/settings`: an RFC 7396 merge patch,
//! with `If-Match` on the `ETag` of `GET`.
use super::*;

/// System admins.
pub(super) async fn settings(State(st): State<AppState>, ApiUser(s): ApiUser) -> ApiResult {
    let (cur, version) = st
        .app
        .settings_console(&s.principal.system_admin().map_err(WebError::api)?)
        .await
        .map_err(WebError::api)?;
    // The version, for a later PUT's If-Match.
    Ok((
        [(axum::http::header::ETAG, format!("\"{version}\""))],
        axum::Json(&cur),
    )
        .into_response())
}

/// System admins: the body is merged into the current parameters (RFC 7396
/// merge patch), so a script can change one value without restating all.
pub(super) async fn save_settings(
    State(st): State<AppState>,
    ApiUser(s): ApiUser,
    ReqCtx(ctx): ReqCtx,
    headers: axum::http::HeaderMap,
    Json(patch): Json<Value>,
) -> ApiResult {
    // With If-Match, the patch applies to that version and a save made
    // since is merged or refused by name, as on the page. Without it, the
    // patch applies to the latest version, and a save that lands between
    // the read and the write is read again (the patch names only the
    // fields it changes).
    let if_match = match headers.get(axum::http::header::IF_MATCH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().trim_matches('"').parse::<i64>().ok())
                .ok_or_else(|| {
                    WebError::api(Error::invalid(
                        "If-Match",
                        Msg::new(
                            "If-Match 須為 GET /settings 回應的 ETag",
                            "If-Match must be the ETag that GET /settings answered",
                        ),
                    ))
                })?,
        ),
    };
    // Every parameter has a value: a body that is not an object would
    // replace them all, and a null would drop one back to its default,
    // so neither is a change anyone means.
    if !patch.is_object() {
        return Err(WebError::api(Error::invalid(
            "body",
            Msg::new(
                "內容須為 JSON 物件，只列出要變更的參數，例如 {\"session_idle_minutes\": 20}",
                "The body must be a JSON object naming only the parameters to change, e.g. {\"session_idle_minutes\": 20}",
            ),
        )));
    }
    if let Some(k) = null_member(&patch, "") {
        return Err(WebError::api(Error::invalid(
            "body",
            Msg::owned(
                format!("參數 {k} 須有值（不可為 null）；不變更的參數請勿列出"),
                format!(
                    "The parameter {k} needs a value (not null); leave out what does not change"
                ),
            ),
        )));
    }
    let admin = s.principal.system_admin().map_err(WebError::api)?;
    loop {
        let (cur, version) = st
            .app
            .settings_console(&admin)
            .await
            .map_err(WebError::api)?;
        let base = if_match.unwrap_or(version);
        let mut merged =
            serde_json::to_value(&cur).map_err(|e| WebError::api(Error::internal(e)))?;
        let mut unknown = Vec::new();
        unknown_keys(&patch, &merged, "", &mut unknown);
        if let Some(k) = unknown.first() {
            return Err(WebError::api(Error::invalid(
                "body",
                Msg::owned(
                    format!("沒有這個參數：{k}"),
                    format!("No such parameter: {k}"),
                ),
            )));
        }
        merge_patch(&mut merged, patch.clone());
        let new: portico_core::settings::SystemSettings =
            serde_json::from_value(merged).map_err(|e| {
                WebError::api(Error::invalid(
                    "body",
                    Msg::owned(
                        format!("參數格式有誤：{e}"),
                        format!("The parameters are not well formed: {e}"),
                    ),
                ))
            })?;
        match st
            .app
            .update_settings(&s.principal, &new, base, &ctx)
            .await
            .map_err(WebError::api)?
        {
            portico_app::settings::Saved::Done(v) => {
                let (saved, _) = st
                    .app
                    .settings_console(&admin)
                    .await
                    .map_err(WebError::api)?;
                return Ok((
                    [(axum::http::header::ETAG, format!("\"{v}\""))],
                    axum::Json(&saved),
                )
                    .into_response());
            }
            portico_app::settings::Saved::Conflict { fields, .. } if if_match.is_some() => {
                return Err(WebError::api(Error::Conflict {
                    field: fields.first().copied().unwrap_or("settings"),
                    message: portico_core::settings::conflict_message(&fields),
                }));
            }
            // Patched from the latest, and still another save came first:
            // patch that one.
            portico_app::settings::Saved::Conflict { .. } => continue,
        }
    }
}

/// The keys of `patch` that `current` does not have, as dotted paths: a
/// misspelt parameter is an error, not silently ignored.
pub(super) fn unknown_keys(patch: &Value, current: &Value, prefix: &str, out: &mut Vec<String>) {
    if let (Value::Object(p), Value::Object(c)) = (patch, current) {
        for (k, v) in p {
            let path = format!("{prefix}{k}");
            match c.get(k) {
                None => out.push(path),
                Some(cv) => unknown_keys(v, cv, &format!("{path}."), out),
            }
        }
    }
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
/// The first member of `patch` that is null, by its dotted name.
fn null_member(patch: &Value, prefix: &str) -> Option<String> {
    let Value::Object(p) = patch else {
        return None;
    };
    p.iter().find_map(|(k, v)| {
        let name = format!("{prefix}{k}");
        if v.is_null() {
            Some(name)
        } else {
            null_member(v, &format!("{name}."))
        }
    })
}

pub(super) fn merge_patch(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(&k);
                    } else {
                        merge_patch(t.entry(k).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other,
    }
}
