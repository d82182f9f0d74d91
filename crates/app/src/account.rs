//! A person's own account (004 §第三節參 一–五, 個人帳號管理): the profile,
//! the avatar, the password under the policy and its history, the
//! preferences. The admin console's half is `accounts.rs`.
use crate::auth::self_event;
use crate::sessions::Session;
use crate::{App, Ctx, Result};
use portico_core::error::Collector;
use portico_core::ids::AccountId;
use portico_core::text::{OfficePhone, PersonName, clean_text, parse_extension};
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Account, Change, Profile};
use portico_store::{audit, db_err, roles, sessions};

/// The personal and official data a person edits (strings as typed).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub office_phone: String,
    #[serde(default)]
    pub office_ext: String,
    #[serde(default)]
    pub birthday: String,
    #[serde(default)]
    pub home_address: String,
    #[serde(default)]
    pub work_address: String,
}

impl ProfileForm {
    /// Validates every field at once; returns the clean profile.
    pub fn validate(&self, today: time::Date) -> Result<Profile> {
        let mut c = Collector::new();
        let name = c.take("name", PersonName::parse(&self.name));
        let title = c.take("title", clean_text(&self.title, 0, 30));
        let phone = c.take("office_phone", OfficePhone::parse(&self.office_phone));
        let ext = c.take("office_ext", parse_extension(&self.office_ext));
        let birthday = if self.birthday.trim().is_empty() {
            Some(String::new())
        } else {
            match portico_core::time::parse_date(&self.birthday) {
                Some(d) if d > today => {
                    c.push(
                        "birthday",
                        Msg::new("生日不可晚於今天", "The birthday cannot be in the future"),
                    );
                    None
                }
                Some(d) if d.year() < 1900 => {
                    c.push(
                        "birthday",
                        Msg::new("生日年份不正確", "The birth year is not valid"),
                    );
                    None
                }
                Some(d) => Some(portico_core::time::date_str(d)),
                None => {
                    c.push(
                        "birthday",
                        Msg::new("生日格式為 YYYY-MM-DD", "Enter the birthday as YYYY-MM-DD"),
                    );
                    None
                }
            }
        };
        let home = c.take("home_address", clean_text(&self.home_address, 0, 100));
        let work = c.take("work_address", clean_text(&self.work_address, 0, 100));
        c.finish()?;
        match (name, title, phone, ext, birthday, home, work) {
            (
                Some(name),
                Some(title),
                Some(phone),
                Some(ext),
                Some(birthday),
                Some(home),
                Some(work),
            ) => Ok(Profile {
                name: name.as_str().to_owned(),
                title,
                office_phone: phone.as_str().to_owned(),
                office_ext: ext,
                birthday,
                home_address: home,
                work_address: work,
            }),
            _ => Err(Error::internal("validated profile incomplete")),
        }
    }
}

pub const AVATAR_MAX_BYTES: usize = 2 * 1024 * 1024;

const AVATAR_SIDE: u32 = 256;
/// The largest upload side accepted, and the memory one decode may take.
const AVATAR_MAX_SIDE: u32 = 3000;
const AVATAR_MAX_DECODED: u64 = 40 * 1024 * 1024;
/// Decodes at once: each may take `AVATAR_MAX_DECODED`, so together they
/// stay bounded however many uploads arrive.
static AVATAR_DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// How long an upload waits for a decoder before it is told to try again.
const AVATAR_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Decodes an uploaded avatar (PNG or JPEG only, by content, not by name),
/// and re-encodes it as a PNG of at most 256×256, which drops whatever else
/// the file carried.
pub fn reencode_avatar(bytes: &[u8]) -> Result<Vec<u8>> {
    let bad = |zh: &'static str, en: &'static str| Error::invalid("avatar", Msg::new(zh, en));
    if bytes.is_empty() {
        return Err(bad("請選擇圖片檔案", "Choose an image file"));
    }
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(bad("圖片不可超過 2 MB", "The image must be at most 2 MB"));
    }
    let format = image::guess_format(bytes).map_err(|_| {
        bad(
            "僅接受 PNG 或 JPEG 圖片",
            "Only PNG or JPEG images are accepted",
        )
    })?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(bad(
            "僅接受 PNG 或 JPEG 圖片",
            "Only PNG or JPEG images are accepted",
        ));
    }
    let (w, h) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| {
            bad(
                "圖片無法讀取，檔案可能已損壞",
                "The image cannot be read; the file may be damaged",
            )
        })?;
    if w > AVATAR_MAX_SIDE || h > AVATAR_MAX_SIDE {
        return Err(bad(
            "圖片長寬不可超過 3000 像素，請縮小後再上傳",
            "The image may be at most 3000 pixels on a side; make it smaller and upload again",
        ));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    // A small file can declare a huge image (a PNG of zeros compresses
    // 1,000 to 1): the decoder may allocate no more than this, whatever the
    // file says.
    limits.max_image_width = Some(AVATAR_MAX_SIDE);
    limits.max_image_height = Some(AVATAR_MAX_SIDE);
    limits.max_alloc = Some(AVATAR_MAX_DECODED);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| {
        bad(
            "圖片無法讀取，檔案可能已損壞",
            "The image cannot be read; the file may be damaged",
        )
    })?;
    let img = img.thumbnail(AVATAR_SIDE, AVATAR_SIDE);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::internal(format!("png: {e}")))?;
    Ok(out.into_inner())
}

/// The account page's view of oneself.
pub struct Me {
    pub account: Account,
    pub roles: Vec<roles::Grant>,
    pub active_sessions: i64,
    /// The sign-in methods bound to the account.
    pub bound: portico_store::factors::Bound,
}

impl App {
    /// Anyone signed in: their own account.
    pub async fn me(&self, s: &Session) -> Result<Me> {
        let mut c = self.db.read().await?;
        let account = accounts::get(&mut c, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        let roles = roles::of_account(&mut c, account.id).await?;
        let active_sessions = sessions::count_of(&mut c, account.id).await?;
        let bound = portico_store::factors::bound(&mut c, account.id).await?;
        Ok(Me {
            account,
            roles,
            active_sessions,
            bound,
        })
    }

    /// Anyone signed in: edits their own name, title, phone, birthday and
    /// addresses.
    pub async fn update_my_profile(
        &self,
        s: &Session,
        form: &ProfileForm,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let p = form.validate(now.to_offset(portico_core::time::TAIPEI).date())?;
        let mut tx = self.db.begin().await?;
        let before = accounts::get(&mut tx, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        accounts::update_profile(
            &mut tx,
            s.principal.own_account(),
            &p,
            &Change {
                at: now,
                by: s.principal.login(),
                note: "個人資料修改",
            },
        )
        .await?;
        self.queue_person(&mut tx, s.principal.account_id()).await?;
        let mut e = self_event(ctx, "account.profile.update", &s.principal);
        e.detail = changed_fields(&before, &p);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Anyone signed in: changes their own password (old, new, confirm).
    /// Other sessions end; this one stays.
    pub async fn change_my_password(
        &self,
        s: &Session,
        old: &str,
        new: &str,
        confirm: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let settings = self.settings().await?;
        let account = accounts::get(&mut *self.db.read().await?, s.principal.account_id())
            .await?
            .ok_or(Error::NotFound)?;
        let mut c = Collector::new();
        if !self
            .hasher
            .verify(old, account.password_hash.as_deref())
            .await?
        {
            c.push(
                "old_password",
                Msg::new("目前的密碼不正確", "The current password is wrong"),
            );
        }
        for m in settings.password.check(new, &account.login) {
            c.push("new_password", m);
        }
        if new != confirm {
            c.push(
                "confirm_password",
                Msg::new("兩次輸入的新密碼不一致", "The two new passwords differ"),
            );
        }
        if c.is_empty() && !old.is_empty() && old == new {
            c.push(
                "new_password",
                Msg::new(
                    "新密碼不可與目前的密碼相同",
                    "The new password must differ from the current one",
                ),
            );
        }
        if c.is_empty() {
            self.check_history(account.id, new, settings.password.history, &mut c)
                .await?;
        }
        if let Err(e) = c.finish() {
            let mut tx = self.db.begin().await?;
            let mut ev = self_event(ctx, "account.password.change", &s.principal);
            ev.outcome = Some(portico_core::audit::Outcome::Failed);
            ev.reason = "invalid".into();
            audit::append(&mut tx, &ev, self.now()).await?;
            tx.commit().await.map_err(db_err)?;
            return Err(e);
        }
        let hash = self.hasher.hash(new).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let ch = Change {
            at: now,
            by: s.principal.login(),
            note: "密碼修改",
        };
        accounts::set_password(&mut tx, s.principal.own_account(), &hash, false, &ch).await?;
        self.queue_password(&mut tx, account.id, new).await?;
        self.account_changed(&mut tx, s.principal.own_account(), &ch)
            .await?;
        sessions::delete_others_of(&mut tx, account.id, &s.id_hash, now).await?;
        audit::append(
            &mut tx,
            &self_event(ctx, "account.password.change", &s.principal),
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    /// Refuses the current password and the last `n` ones.
    pub(crate) async fn check_history(
        &self,
        id: AccountId,
        new: &str,
        n: u32,
        c: &mut Collector,
    ) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let mut conn = self.db.read().await?;
        let current = accounts::get(&mut conn, id)
            .await?
            .and_then(|a| a.password_hash);
        // The current password counts as one of the last n.
        let mut hashes =
            accounts::recent_password_hashes(&mut conn, id, n.saturating_sub(1)).await?;
        drop(conn);
        hashes.extend(current);
        for h in hashes {
            if self.hasher.verify(new, Some(&h)).await? {
                c.push(
                    "new_password",
                    Msg::owned(
                        format!("新密碼不可與最近 {n} 次使用過的密碼相同"),
                        format!("The new password must differ from your last {n} passwords"),
                    ),
                );
                break;
            }
        }
        Ok(())
    }

    pub async fn set_my_avatar(&self, s: &Session, upload: &[u8], ctx: &Ctx) -> Result<()> {
        let upload = upload.to_vec();
        let _slot = tokio::time::timeout(AVATAR_WAIT, AVATAR_DECODES.acquire())
            .await
            .map_err(|_| crate::passwords::busy())?
            .map_err(|_| crate::passwords::busy())?;
        let png = tokio::task::spawn_blocking(move || reencode_avatar(&upload))
            .await
            .map_err(|e| Error::internal(format!("avatar task: {e}")))??;
        let mut tx = self.db.begin().await?;
        accounts::set_avatar(&mut tx, s.principal.own_account(), &png, self.now()).await?;
        audit::append(
            &mut tx,
            &self_event(ctx, "account.avatar.set", &s.principal),
            self.now(),
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn remove_my_avatar(&self, s: &Session, ctx: &Ctx) -> Result<()> {
        let mut tx = self.db.begin().await?;
        accounts::remove_avatar(&mut tx, s.principal.own_account()).await?;
        audit::append(
            &mut tx,
            &self_event(ctx, "account.avatar.remove", &s.principal),
            self.now(),
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    /// An avatar, for the person it shows or an admin who may see their
    /// account; anyone else is told there is none (ids are sequential, so
    /// a signed-in stranger must not collect everyone's face).
    pub async fn avatar(
        &self,
        actor: &portico_core::permission::Principal,
        id: AccountId,
    ) -> Result<Option<Vec<u8>>> {
        if actor.account_id() != id {
            let Ok(admin) = actor.admin() else {
                return Ok(None);
            };
            let mut c = self.db.read().await?;
            let Some(a) = accounts::get(&mut c, id).await? else {
                return Ok(None);
            };
            let held: Vec<_> = portico_store::roles::of_account(&mut c, id)
                .await?
                .iter()
                .map(|g| g.role())
                .collect();
            let target = portico_core::permission::Target {
                id,
                unit_path: &a.unit_path,
                roles: &held,
            };
            if admin.view(&target).is_err() {
                return Ok(None);
            }
        }
        accounts::avatar(&mut *self.db.read().await?, id).await
    }

    /// Remembers the language and theme a person chose.
    pub async fn set_my_prefs(
        &self,
        s: &Session,
        lang: Option<&str>,
        theme: Option<&str>,
    ) -> Result<()> {
        let lang = lang
            .map(|l| portico_core::Lang::from_code(l).code())
            .unwrap_or(&s.lang);
        let theme = match theme.unwrap_or(&s.theme) {
            "dark" => "dark",
            _ => "light",
        };
        let mut tx = self.db.begin().await?;
        accounts::set_prefs(&mut tx, s.principal.own_account(), lang, theme).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// The names of the fields a profile edit changed, as JSON for the audit.
pub(crate) fn changed_fields(before: &Account, p: &Profile) -> String {
    let mut changed = Vec::new();
    for (name, a, b) in [
        ("name", &before.name, &p.name),
        ("title", &before.title, &p.title),
        ("office_phone", &before.office_phone, &p.office_phone),
        ("office_ext", &before.office_ext, &p.office_ext),
        ("birthday", &before.birthday, &p.birthday),
        ("home_address", &before.home_address, &p.home_address),
        ("work_address", &before.work_address, &p.work_address),
    ] {
        if a != b {
            changed.push(name);
        }
    }
    serde_json::json!({ "changed": changed }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 23)
    }

    #[test]
    fn profile_form_reports_every_bad_field() {
        let f = ProfileForm {
            name: "".into(),
            office_phone: "06-123".into(),
            birthday: "2030-01-01".into(),
            ..Default::default()
        };
        let Err(Error::Invalid(errs)) = f.validate(today()) else {
            panic!("expected invalid")
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "office_phone", "birthday"]);
    }

    #[test]
    fn profile_form_keeps_markup_as_text() {
        let f = ProfileForm {
            name: "<script>x</script>".into(),
            office_phone: "2991111".into(),
            ..Default::default()
        };
        assert_eq!(f.validate(today()).unwrap().name, "<script>x</script>");
    }

    #[test]
    fn avatar_must_be_png_or_jpeg_and_is_reencoded() {
        assert!(reencode_avatar(b"GIF89a....").is_err());
        assert!(reencode_avatar(b"").is_err());
        let img = image::RgbImage::from_pixel(600, 300, image::Rgb([200, 10, 10]));
        let mut jpeg = std::io::Cursor::new(Vec::new());
        img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
        let png = reencode_avatar(&jpeg.into_inner()).unwrap();
        let back = image::load_from_memory(&png).unwrap();
        assert_eq!(image::guess_format(&png).unwrap(), image::ImageFormat::Png);
        assert_eq!((back.width(), back.height()), (256, 128));
    }

    #[test]
    fn a_small_file_declaring_a_huge_image_is_refused_before_decoding() {
        // A 3001×1 PNG is tiny; the same check stops a 6500×6500 one of
        // zeros (123 KB on the wire, 127 MB decoded) before any pixel.
        let img = image::GrayImage::new(3001, 1);
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let Err(Error::Invalid(errs)) = reencode_avatar(&png.into_inner()) else {
            panic!("a 3001-pixel side is refused");
        };
        assert_eq!(errs[0].field, "avatar");
        assert!(
            errs[0].message.zh.contains("3000 像素"),
            "{:?}",
            errs[0].message
        );
    }

    #[test]
    fn a_damaged_png_is_refused_not_a_crash() {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&[0u8; 64]);
        assert!(matches!(reencode_avatar(&bytes), Err(Error::Invalid(_))));
    }
}
