//! 轉登: the home page's tiles (applications approved for a person's
//! agency) and the launch that signs the person in to one.
use crate::auth::self_event;
use crate::sessions::Session;
use crate::{App, Ctx, Result};
use portico_core::Error;
use portico_core::audit::Outcome;
use portico_core::clients::ServiceKind;
use portico_core::ids::OrgUnitId;
use portico_core::sso::Claim;
use portico_store::clients as store_clients;
use portico_store::{audit, db_err};
use serde_json::json;
use std::sync::Arc;

impl App {
    /// The home page's tiles for a person: applications approved for this
    /// person's agency.
    pub async fn tiles(&self, s: &Session) -> Result<Arc<Vec<store_clients::Tile>>> {
        self.tiles_of(s.agency_id).await
    }

    /// The tiles an agency's people see, kept until a client changes (every
    /// change to an application, a service or a suspension moves the
    /// clients version): the home page is the portal's busiest page.
    async fn tiles_of(&self, agency: Option<OrgUnitId>) -> Result<Arc<Vec<store_clients::Tile>>> {
        let v = self.versions().await?.clients;
        if let Some(t) = self.caches.tiles.get(&agency, v) {
            return Ok(t);
        }
        let t = Arc::new(store_clients::tiles_for(&mut *self.db.read().await?, agency).await?);
        self.caches.tiles.put(agency, v, t.clone());
        Ok(t)
    }

    /// 轉登: the URL that starts the application's sign-in (OpenID Connect
    /// Core §4, third-party initiated login). The application then asks for
    /// a code and, the person being signed in here, gets one at once.
    pub async fn launch_tile(&self, s: &Session, app_id: i64, ctx: &Ctx) -> Result<String> {
        let actor = &s.principal;
        let tiles = self.tiles(s).await?;
        if !tiles.iter().any(|t| t.app_id == app_id) {
            return Err(Error::NotFound);
        }
        let mut c = self.db.read().await?;
        let app = store_clients::get(&mut c, app_id)
            .await?
            .ok_or(Error::NotFound)?;
        let approved = store_clients::approved_of(&mut c, app_id).await?;
        let tile = approved
            .iter()
            .find(|s| s.kind == ServiceKind::Tile)
            .ok_or(Error::NotFound)?;
        // The login name goes along as a hint only to an application
        // approved to know it.
        let hint_allowed = approved
            .iter()
            .any(|s| s.kind == ServiceKind::Sso && s.claims.contains(&Claim::Login));
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut e = self_event(ctx, "app.launch", actor);
        e.detail = json!({"app": app.name, "client_id": app.client_id}).to_string();
        e.outcome = Some(Outcome::Ok);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        let sep = if tile.initiate_login_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut url = format!(
            "{}{sep}iss={}&target_link_uri={}",
            tile.initiate_login_uri,
            crate::oidc::form_encode(self.issuer()),
            crate::oidc::form_encode(&app.url),
        );
        if hint_allowed {
            url.push_str("&login_hint=");
            url.push_str(&crate::oidc::form_encode(actor.login()));
        }
        Ok(url)
    }
}
