//! Photos of venues and cars (場地照片): their keepers add up to five, each
//! a JPEG or PNG by its content, and take them off; whoever may borrow the
//! item (or keeps it) sees them.
use crate::access::Upload;
use crate::files::FileBytes;
use crate::{App, Ctx, Result};
use portico_core::booking::Kind;
use portico_core::files::check_photo;
use portico_core::permission::Principal;
use portico_core::repair::MAX_PHOTO;
use portico_core::{Error, Msg};
use portico_store::bookings as store;
use portico_store::{db_err, files};
use serde_json::json;

/// The most photos an item shows.
pub const MAX_ITEM_PHOTOS: usize = 5;

fn photo_error(m: Msg) -> Error {
    Error::invalid("photos", m)
}

fn photo_kind(kind: Kind) -> Result<()> {
    match kind {
        Kind::Venue | Kind::Car => Ok(()),
        Kind::Driver | Kind::Repair => Err(Error::NotFound),
    }
}

impl App {
    /// Its keepers add photos to a venue or car, up to five in all.
    /// Returns how many it has now.
    pub async fn add_item_photos(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        photos: Vec<Upload>,
        ctx: &Ctx,
    ) -> Result<usize> {
        photo_kind(kind)?;
        let mut c = self.db.read().await?;
        let (_, k) = self.kept_item(&mut c, actor, kind, id).await?;
        let have = store::item_photos(&mut c, kind, id).await?.len();
        drop(c);
        if photos.is_empty() {
            return Err(photo_error(Msg::new(
                "請選擇要上傳的照片",
                "Choose the photos to upload",
            )));
        }
        if have + photos.len() > MAX_ITEM_PHOTOS {
            return Err(photo_error(Msg::owned(
                format!("照片至多 {MAX_ITEM_PHOTOS} 張，已有 {have} 張；請先刪除不需要的照片"),
                format!(
                    "At most {MAX_ITEM_PHOTOS} photos, and {have} are there; remove some first"
                ),
            )));
        }
        let kinds = photos
            .iter()
            .map(|p| check_photo(&p.name, &p.bytes, MAX_PHOTO).map_err(photo_error))
            .collect::<Result<Vec<_>>>()?;
        let mut stashed = Vec::with_capacity(photos.len());
        for (p, fk) in photos.into_iter().zip(kinds) {
            stashed.push(self.stash_upload("items", &p.name, fk, p.bytes).await?);
        }
        let kept = async {
            let mut tx = self.db.begin().await?;
            for s in &stashed {
                let file = self.keep_stashed(&mut tx, actor.account_id(), s).await?;
                store::add_item_photo(&mut tx, &k, file).await?;
            }
            let now_have = store::item_photos(&mut tx, kind, id).await?.len();
            if now_have > MAX_ITEM_PHOTOS {
                // Another upload landed meanwhile: this one is refused whole.
                return Err(photo_error(Msg::owned(
                    format!("照片至多 {MAX_ITEM_PHOTOS} 張"),
                    format!("At most {MAX_ITEM_PHOTOS} photos"),
                )));
            }
            let action = format!("{}.photo_add", kind.as_str());
            let detail = json!({ "photos": stashed.len() });
            self.booked_event(&mut tx, ctx, actor, &action, kind, id, detail)
                .await?;
            tx.commit().await.map_err(db_err)?;
            Ok(now_have)
        }
        .await;
        if kept.is_err() {
            for s in &stashed {
                self.drop_stashed(s).await;
            }
        }
        kept
    }

    /// Its keepers take a photo off a venue or car; its bytes go too.
    pub async fn remove_item_photo(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        position: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        photo_kind(kind)?;
        let mut c = self.db.read().await?;
        let (_, k) = self.kept_item(&mut c, actor, kind, id).await?;
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let file = store::remove_item_photo(&mut tx, &k, position)
            .await?
            .ok_or(Error::NotFound)?;
        let row = files::get(&mut tx, file).await?.ok_or(Error::NotFound)?;
        files::mark_purged(&mut tx, file, now).await?;
        let action = format!("{}.photo_remove", kind.as_str());
        self.booked_event(&mut tx, ctx, actor, &action, kind, id, json!({}))
            .await?;
        tx.commit().await.map_err(db_err)?;
        if let Err(e) = self.files().delete(&row.key).await {
            tracing::warn!(key = %row.key, error = %e, "a removed photo's bytes stay in the file store");
        }
        Ok(())
    }

    /// A venue's or car's photo places, in order, for those who keep it or
    /// may borrow it.
    pub async fn item_photo_places(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
    ) -> Result<Vec<i64>> {
        photo_kind(kind)?;
        self.may_follow(actor, kind, id).await?;
        let mut c = self.db.read().await?;
        Ok(store::item_photos(&mut c, kind, id)
            .await?
            .into_iter()
            .map(|(p, _)| p)
            .collect())
    }

    /// One photo, for those who keep the item or may borrow it.
    pub async fn item_photo(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
        position: i64,
    ) -> Result<FileBytes> {
        photo_kind(kind)?;
        self.may_follow(actor, kind, id).await?;
        let mut c = self.db.read().await?;
        let file = store::item_photos(&mut c, kind, id)
            .await?
            .into_iter()
            .find(|(p, _)| *p == position)
            .map(|(_, f)| f)
            .ok_or(Error::NotFound)?;
        drop(c);
        self.read_kept(file).await
    }
}
