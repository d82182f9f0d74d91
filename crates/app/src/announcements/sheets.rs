//! The records people keep of what they published (issue 17): 我所發布的公告
//! and 我的公文附件管理 as xlsx or ODS, with the list's own search.
use crate::documents::TopicQuery;
use crate::export::{Sheet, Table, table};
use crate::inspections::RecordFile;
use crate::{App, Result};
use portico_core::permission::Principal;
use portico_core::time::{TAIPEI, date_str, display};

use super::PostQuery;

fn today_text(app: &App) -> String {
    date_str(app.now().to_offset(TAIPEI).date())
}

impl App {
    /// 我所發布的公告 (every page of the search) as a workbook.
    pub async fn my_announcements_sheet(
        &self,
        actor: &Principal,
        q: &PostQuery,
        format: Sheet,
    ) -> Result<RecordFile> {
        let now = self.now();
        let f = portico_store::announcements::PostFilter {
            author: Some(actor.account_id()),
            ..self.filter_of(q)?
        };
        let rows = portico_store::announcements::list(&mut *self.db.read().await?, &f, now, 1, 0)
            .await?
            .items;
        let t = Table {
            name: "我所發布的公告",
            headers: [
                "標題",
                "發布日期",
                "最後修改時間",
                "發布範圍",
                "狀態",
                "點閱數",
                "更新次數",
                "留言數",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|p| {
                    vec![
                        p.title.clone(),
                        p.publish_at.map(display).unwrap_or_default(),
                        display(p.updated_at),
                        p.reach.label().zh.to_string(),
                        p.status(now).label().zh.to_string(),
                        p.views.to_string(),
                        p.updates.to_string(),
                        p.comments.to_string(),
                    ]
                })
                .collect(),
        };
        Ok(RecordFile {
            name: format!("我所發布的公告-{}.{}", today_text(self), format.extension()),
            content_type: format.content_type(),
            bytes: table(&t, format)?,
        })
    }

    /// 我的公文附件管理 (every page of the search) as a workbook.
    pub async fn my_topics_sheet(
        &self,
        actor: &Principal,
        q: &TopicQuery,
        format: Sheet,
    ) -> Result<RecordFile> {
        let (from, until) = super::date_range(&q.from, &q.to)?;
        let f = portico_store::documents::TopicFilter {
            owner: Some(actor.account_id()),
            q: Some(q.q.as_str()),
            from,
            until,
        };
        let rows = portico_store::documents::list(&mut *self.db.read().await?, &f, 1, 0)
            .await?
            .items;
        let t = Table {
            name: "我的公文附件",
            headers: [
                "公文字號",
                "公文簡述",
                "識別碼",
                "附件數",
                "公開查詢",
                "下架日期",
                "下載次數",
                "發布時間",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|t| {
                    vec![
                        t.full_number(),
                        t.summary.clone(),
                        t.code.clone(),
                        t.files.to_string(),
                        if t.public { "是" } else { "否" }.to_owned(),
                        t.takedown_text(),
                        t.downloads.to_string(),
                        display(t.created_at),
                    ]
                })
                .collect(),
        };
        Ok(RecordFile {
            name: format!("我的公文附件-{}.{}", today_text(self), format.extension()),
            content_type: format.content_type(),
            bytes: table(&t, format)?,
        })
    }
}
