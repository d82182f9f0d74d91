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
    // If-Match is required: the patch applies to the version the caller
    // read, and a save made since is merged or refused by name, as on the
    // page. Without it nobody can tell what the caller last saw.
    let bad_etag = || {
        WebError::api(Error::invalid(
            "If-Match",
            Msg::new(
                "If-Match 須為 GET /settings 回應的 ETag",
                "If-Match must be the ETag that GET /settings answered",
            ),
        ))
    };
    let Some(if_match) = headers.get(axum::http::header::IF_MATCH) else {
        return Err(WebError {
            status: Some(axum::http::StatusCode::PRECONDITION_REQUIRED),
            ..WebError::api(Error::invalid(
                "If-Match",
                Msg::new(
                    "請先 GET /settings 取得 ETag，並以 If-Match 標頭送回，以免蓋掉其他管理者剛儲存的內容",
                    "GET /settings first and send its ETag back in If-Match, so nothing another administrator just saved is overwritten",
                ),
            ))
        });
    };
    let if_match = if_match
        .to_str()
        .ok()
        .and_then(|t| t.trim().trim_matches('"').parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .ok_or_else(bad_etag)?;
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
    let (cur, version) = st
        .app
        .settings_console(&admin)
        .await
        .map_err(WebError::api)?;
    // A version later than the latest never was: not a stale read, a
    // wrong ETag.
    if if_match > version {
        return Err(WebError {
            status: Some(axum::http::StatusCode::PRECONDITION_FAILED),
            ..bad_etag()
        });
    }
    let base = if_match;
    let mut merged = serde_json::to_value(&cur).map_err(|e| WebError::api(Error::internal(e)))?;
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
    if let Some((k, zh, en)) = wrong_type(&patch, &merged, "") {
        return Err(WebError::api(Error::invalid(
            "body",
            Msg::owned(
                format!("參數 {k} 須為{zh}"),
                format!("The parameter {k} must be {en}"),
            ),
        )));
    }
    let current = merged.clone();
    merge_patch(&mut merged, patch.clone());
    let new: portico_core::settings::SystemSettings = match serde_json::from_value(merged) {
        Ok(n) => n,
        Err(_) => {
            // Types matched, so a value is outside its choices (a
            // sign-in method that is not one): name the parameter.
            let k = first_unreadable(&patch, &current).unwrap_or_default();
            return Err(WebError::api(Error::invalid(
                "body",
                Msg::owned(
                    format!("參數 {k} 的值不在可選範圍內"),
                    format!("The parameter {k} has a value outside its choices"),
                ),
            )));
        }
    };
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
            Ok((
                [(axum::http::header::ETAG, format!("\"{v}\""))],
                axum::Json(&saved),
            )
                .into_response())
        }
        // Another save since the version read changed the same fields.
        portico_app::settings::Saved::Conflict { fields, .. } => {
            Err(WebError::api(Error::Conflict {
                field: fields.first().copied().unwrap_or("settings"),
                message: portico_core::settings::conflict_message(&fields),
            }))
        }
    }
}

/// The first member of `patch` whose JSON type differs from the current
/// value's (a number for a number of minutes, text for a range list): its
/// dotted name and the type wanted, in words.
fn wrong_type(
    patch: &Value,
    current: &Value,
    prefix: &str,
) -> Option<(String, &'static str, &'static str)> {
    let (Value::Object(p), Value::Object(c)) = (patch, current) else {
        return None;
    };
    for (k, v) in p {
        let name = format!("{prefix}{k}");
        let Some(cv) = c.get(k) else { continue };
        let wanted = match cv {
            Value::Object(_) if v.is_object() => {
                if let Some(found) = wrong_type(v, cv, &format!("{name}.")) {
                    return Some(found);
                }
                continue;
            }
            Value::Object(_) => ("一組參數（JSON 物件）", "an object of parameters"),
            Value::Number(_) if v.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => continue,
            Value::Number(_) => ("零或正整數", "a whole number, zero or more"),
            Value::Bool(_) if v.is_boolean() => continue,
            Value::Bool(_) => ("true 或 false", "true or false"),
            Value::String(_) if v.is_string() => continue,
            Value::String(_) => ("文字", "text"),
            Value::Array(_) if v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) => {
                continue;
            }
            Value::Array(_) => ("文字的清單", "a list of text values"),
            Value::Null => continue,
        };
        return Some((name, wanted.0, wanted.1));
    }
    None
}

/// The top-level member of `patch` that alone makes the parameters
/// unreadable.
fn first_unreadable(patch: &Value, current: &Value) -> Option<String> {
    let Value::Object(p) = patch else { return None };
    p.iter().find_map(|(k, v)| {
        let mut one = current.clone();
        merge_patch(&mut one, serde_json::json!({ k: v }));
        serde_json::from_value::<portico_core::settings::SystemSettings>(one)
            .is_err()
            .then(|| k.clone())
    })
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
