//! The key ring: the signing keys kept sealed in the database, cached by
//! the keys' version (so a rotation on one node is honoured on the others
//! within a second), rotated with an overlap.
use super::Key;
use crate::oidc::{KEY_OVERLAP, KeyRing};
use crate::{App, Ctx, Result, event, random_token};
use portico_core::Error;
use portico_core::audit::Outcome;
use portico_core::sso::SigningAlg;
use portico_store::{audit, db_err, oauth};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

impl App {
    /// The opened key ring; creates the first key of each algorithm when
    /// there is none.
    pub async fn key_ring(&self) -> Result<Arc<KeyRing>> {
        let v = self.versions().await?.keys;
        if let Some((at, r)) = self
            .oidc
            .ring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && *at == v
        {
            return Ok(r.clone());
        }
        self.reload_ring().await
    }

    pub(crate) async fn reload_ring(&self) -> Result<Arc<KeyRing>> {
        let v = self.versions().await?.keys;
        let mut ring = self.read_ring().await?;
        if SigningAlg::ALL.iter().any(|a| ring.current(*a).is_none()) {
            for alg in SigningAlg::ALL {
                if ring.current(alg).is_none() {
                    self.new_key(alg).await?;
                }
            }
            ring = self.read_ring().await?;
        }
        let ring = Arc::new(ring);
        *self.oidc.ring.lock().unwrap_or_else(|e| e.into_inner()) = Some((v, ring.clone()));
        Ok(ring)
    }

    pub(crate) async fn read_ring(&self) -> Result<KeyRing> {
        let master = self.master()?;
        let stored = oauth::keys(&mut *self.db.read().await?, self.now() - KEY_OVERLAP).await?;
        let mut keys = Vec::with_capacity(stored.len());
        for k in stored {
            let alg = SigningAlg::parse(&k.alg).ok_or_else(|| oauth::corrupt("key algorithm"))?;
            keys.push(Arc::new(Key::open(
                master,
                &k.kid,
                alg,
                &k.sealed,
                k.retired_at.is_some(),
            )?));
        }
        Ok(KeyRing { keys })
    }

    pub(crate) async fn new_key(&self, alg: SigningAlg) -> Result<String> {
        let master = self.master()?;
        let der = tokio::task::spawn_blocking(move || Key::generate(alg))
            .await
            .map_err(|e| Error::internal(format!("key generation: {e}")))??;
        let now = self.now();
        let kid = format!(
            "{}-{}-{}",
            alg.as_str().to_ascii_lowercase(),
            portico_core::time::date_str(now.date()),
            &random_token(4)?
        );
        let opened = Key::from_pkcs8(&kid, alg, &der, false)?;
        let mut tx = self.db.begin().await?;
        oauth::insert_key(
            &mut tx,
            &oauth::StoredKey {
                kid: kid.clone(),
                alg: alg.as_str().into(),
                sealed: Key::seal(master, &kid, &der)?,
                public_jwk: opened.jwk.to_string(),
                created_at: now,
                retired_at: None,
            },
        )
        .await?;
        oauth::retire_keys(&mut tx, alg.as_str(), &kid, now).await?;
        oauth::purge_keys(&mut tx, now - KEY_OVERLAP).await?;
        // Every node's key ring reloads (versions.rs).
        portico_store::versions::bump(&mut tx, portico_store::versions::KEYS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        Ok(kid)
    }

    /// `portico keys rotate`: a new key for the algorithm; the old one
    /// stays in the JWKS for [`KEY_OVERLAP`] and then goes.
    pub async fn rotate_signing_key(&self, alg: SigningAlg) -> Result<String> {
        let kid = self.new_key(alg).await?;
        let mut tx = self.db.begin().await?;
        let mut e = event(&Ctx::new("", "portico keys rotate"), "oauth.key.rotate");
        e.target_kind = "key".into();
        e.target_label = kid.clone();
        e.outcome = Some(Outcome::Ok);
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        self.reload_ring().await?;
        Ok(kid)
    }

    /// The key for a `kid`, reading the database again (at most once a
    /// second) when it is not in the cached ring.
    pub(crate) async fn key_for(&self, kid: &str) -> Result<Option<Arc<Key>>> {
        let ring = self.key_ring().await?;
        if let Some(k) = ring.by_kid(kid) {
            return Ok(Some(k.clone()));
        }
        {
            let mut f = self.oidc.forced.lock().unwrap_or_else(|e| e.into_inner());
            if f.is_some_and(|t| t.elapsed() < StdDuration::from_secs(1)) {
                return Ok(None);
            }
            *f = Some(Instant::now());
        }
        Ok(self.reload_ring().await?.by_kid(kid).cloned())
    }
}
