//! The home page's layout (issue 17; seed 004 第三節 貳 二): read, saved and
//! restored by the person themselves. Like the language and theme, it is a
//! display preference: not audited.
use crate::{App, Result};
use portico_core::home::{Arrangement, Layout, Mode};
use portico_core::permission::Principal;
use portico_store::{db_err, home};

impl App {
    pub async fn home_layout(&self, p: &Principal) -> Result<Layout> {
        home::layout(&mut *self.db.read().await?, p.account_id()).await
    }

    /// Saves one mode's arrangement and makes that mode the one in use.
    pub async fn save_home_layout(&self, p: &Principal, mode: Mode, a: Arrangement) -> Result<()> {
        self.write_layout(p, |l| {
            l.mode = mode;
            match mode {
                Mode::Classic => l.classic = a,
                Mode::Grid => l.grid = a,
            }
        })
        .await
    }

    /// 恢復預設排版: one mode's arrangement back to the default (the mode
    /// stays in use).
    pub async fn reset_home_layout(&self, p: &Principal, mode: Mode) -> Result<()> {
        self.save_home_layout(p, mode, Arrangement::default()).await
    }

    async fn write_layout(&self, p: &Principal, change: impl FnOnce(&mut Layout)) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut l = home::layout(&mut tx, p.account_id()).await?;
        change(&mut l);
        home::save_layout(&mut tx, p.own_account(), &l, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }
}
