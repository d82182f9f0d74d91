//! A campaign's report (權限清查紀錄): every item with its decision, who
//! decided and when, as a workbook (xlsx or ODS) or PDF, for the campaign's
//! owner to keep.
use super::{decision_label, reviewer_label, target, what};
use crate::export::{Sheet, Table, table};
use crate::inspections::RecordFile;
use crate::pdf::{H, LEFT, Pen, RIGHT, W, cells_height, finish, new_doc, width};
use crate::{App, Ctx, Result, event};
use krilla::page::PageSettings;
use krilla::text::Font;
use portico_core::certification::unused;
use portico_core::permission::Principal;
use portico_core::time::{date_str, display};
use portico_store::certifications::{self as store, Campaign, Item, ItemFilter};
use portico_store::{audit, db_err};
use serde_json::json;
use time::OffsetDateTime;

impl App {
    /// The campaign and all its items, for its owner; the download, which
    /// names people and their last sign-in, is audited.
    async fn report_rows(
        &self,
        actor: &Principal,
        id: i64,
        format: &str,
        ctx: &Ctx,
    ) -> Result<(Campaign, Vec<Item>)> {
        let mut c = self.db.read().await?;
        let campaign = store::get(&mut c, id)
            .await?
            .ok_or(portico_core::Error::NotFound)?;
        self.owner_of(actor, &campaign)?;
        let all = ItemFilter::default();
        let items = store::items(&mut c, id, &all, campaign.opened_at, 1, 0)
            .await?
            .items;
        drop(c);
        let mut tx = self.db.begin().await?;
        let mut e = event(ctx, "certification.report");
        self.as_actor(&mut tx, &mut e, Some(actor.account_id()))
            .await?;
        target(&mut e, &campaign);
        e.outcome = Some(portico_core::audit::Outcome::Ok);
        e.detail = json!({ "format": format, "items": items.len() }).to_string();
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((campaign, items))
    }

    /// The report as a workbook.
    pub async fn campaign_sheet(
        &self,
        actor: &Principal,
        id: i64,
        format: Sheet,
        ctx: &Ctx,
    ) -> Result<RecordFile> {
        let (c, items) = self.report_rows(actor, id, format.extension(), ctx).await?;
        let headers = [
            "項目編號",
            "帳號",
            "姓名",
            "單位",
            "帳號狀態",
            "權限類別",
            "權限",
            "清查開始時最後登入",
            "六個月未使用",
            "清查人",
            "清查結果",
            "說明",
            "決定者",
            "決定時間",
            "轉交者",
            "轉交時間",
        ]
        .map(String::from)
        .to_vec();
        let rows = items
            .iter()
            .map(|i| {
                vec![
                    i.id.to_string(),
                    i.login.clone(),
                    i.account_name.clone(),
                    i.unit_name.clone(),
                    portico_core::account::AccountState::parse(&i.account_state)
                        .map(|a| a.label().zh.to_string())
                        .unwrap_or_else(|| i.account_state.clone()),
                    i.kind.label().zh.to_string(),
                    what(i),
                    i.last_used_at
                        .map(display)
                        .unwrap_or_else(|| "從未登入".into()),
                    if unused(i.last_used_at, c.opened_at) {
                        "是"
                    } else {
                        "否"
                    }
                    .into(),
                    reviewer_label(i),
                    decision_label(i.decision).zh.to_string(),
                    i.note.clone(),
                    decider(i),
                    i.decided_at.map(display).unwrap_or_default(),
                    i.handed_by_name.clone().unwrap_or_default(),
                    i.handed_at.map(display).unwrap_or_default(),
                ]
            })
            .collect();
        let bytes = table(
            &Table {
                name: "權限清查紀錄",
                headers,
                rows,
            },
            format,
        )?;
        Ok(RecordFile {
            name: format!("權限清查-{}.{}", c.id, format.extension()),
            content_type: format.content_type(),
            bytes,
        })
    }

    /// The report as PDF.
    pub async fn campaign_pdf(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<RecordFile> {
        let (c, items) = self.report_rows(actor, id, "pdf", ctx).await?;
        let portal = self.portal_name();
        let now = self.now();
        let name = format!("權限清查-{}.pdf", c.id);
        let bytes = self
            .render_pdf(move |font| render(font, &portal, &c, &items, now))
            .await?;
        Ok(RecordFile {
            name,
            content_type: "application/pdf",
            bytes,
        })
    }
}

/// Who decided: a person, or the deadline.
fn decider(i: &Item) -> String {
    match (&i.decided_by_name, i.decision) {
        (Some(n), _) => n.clone(),
        (None, Some(_)) => "逾期自動處理".into(),
        (None, None) => String::new(),
    }
}

const COLS: [f32; 8] = [
    LEFT,
    LEFT + 70.0,
    LEFT + 126.0,
    LEFT + 222.0,
    LEFT + 282.0,
    LEFT + 352.0,
    LEFT + 435.0,
    RIGHT,
];
const HEADS: [&str; 7] = [
    "使用者",
    "單位",
    "權限",
    "最後登入",
    "清查人",
    "結果",
    "決定者",
];
const ROW: f32 = 30.0;
const SMALL: f32 = 8.0;

fn render(
    font: &Font,
    portal: &str,
    c: &Campaign,
    items: &[Item],
    now: OffsetDateTime,
) -> std::result::Result<Vec<u8>, String> {
    let title = "使用者權限清查紀錄";
    let mut doc = new_doc(&format!("{portal} {title}"));
    let mut rest: &[Item] = items;
    let mut first = true;
    let mut page_no = 0;
    loop {
        page_no += 1;
        let mut page = doc.start_page_with(PageSettings::from_wh(W, H).ok_or("page size")?);
        let mut s = page.surface();
        let mut p = Pen::new(&mut s, font);
        p.text(LEFT, 40.0, 9.0, &format!("{portal}　機密等級：限閱"));
        let no = format!("第 {page_no} 頁　清查編號 {}", c.id);
        p.text(RIGHT - width(&no, 9.0), 40.0, 9.0, &no);
        let mut y = 60.0;
        if first {
            p.text((W - width(title, 16.0)) / 2.0, 76.0, 16.0, title);
            y = 92.0;
            let scope = if c.scope_name.is_empty() {
                c.scope_kind.label().zh.to_string()
            } else {
                format!("{}：{}", c.scope_kind.label().zh, c.scope_name)
            };
            y = p.row(y, "清查名稱", &c.name, 24.0);
            y = p.row(y, "清查範圍", &scope, 24.0);
            y = p.row(
                y,
                "清查期間",
                &format!(
                    "{} 開始，{} 截止（{}）",
                    display(c.opened_at),
                    date_str(c.deadline),
                    c.on_expiry.label().zh
                ),
                24.0,
            );
            y = p.row(
                y,
                "清查結果",
                &format!(
                    "共 {} 項：保留 {}、撤銷 {}、逾期待查 {}、待清查 {}",
                    c.total, c.kept, c.revoked, c.flagged, c.pending
                ),
                24.0,
            );
            y = p.row(y, "產製時間", &display(now), 24.0);
            y = p.row(
                y,
                "依據",
                "使用機關至少每六個月清查使用者權限一次；超過六個月未使用者得註銷或暫停其使用權限。",
                24.0,
            );
            y += 10.0;
            first = false;
        }
        for (k, h) in HEADS.iter().enumerate() {
            p.rect(COLS[k], y, COLS[k + 1] - COLS[k], 20.0, false);
            p.text(COLS[k] + 4.0, y + 14.0, 9.5, h);
        }
        y += 20.0;
        let bottom = H - 50.0;
        let mut n = 0;
        for i in rest {
            if y + ROW > bottom {
                break;
            }
            let used = match i.last_used_at {
                Some(t) => date_str(t.to_offset(portico_core::time::TAIPEI).date()),
                None => "從未登入".into(),
            };
            let mut last = vec![used];
            if unused(i.last_used_at, c.opened_at) {
                last.push("（逾六個月）".into());
            }
            let mut reviewer = vec![reviewer_label(i)];
            if let Some(h) = &i.handed_by_name {
                reviewer.push(format!("由 {h} 轉交"));
            }
            let when: Vec<String> = i
                .decided_at
                .map(|t| display(t).split(' ').map(str::to_owned).collect())
                .unwrap_or_default();
            let cells = [
                vec![i.account_name.clone(), i.login.clone()],
                vec![i.unit_name.clone()],
                vec![what(i)],
                last,
                reviewer,
                vec![decision_label(i.decision).zh.to_string(), i.note.clone()],
                [vec![decider(i)], when].concat(),
            ];
            let h = cells_height(&COLS, SMALL, &cells, ROW, 6);
            if y + h > bottom {
                break;
            }
            p.cells(&COLS, y, h, SMALL, &cells);
            y += h;
            n += 1;
        }
        rest = &rest[n..];
        let done = rest.is_empty() && y + 90.0 <= bottom;
        if done {
            y += 12.0;
            let w = (RIGHT - LEFT) / 2.0;
            for (k, b) in ["清查承辦", "機關管理者核定"].iter().enumerate() {
                let x = LEFT + w * k as f32;
                p.rect(x, y, w, 70.0, false);
                p.text(x + 6.0, y + 16.0, 11.0, b);
            }
        }
        s.finish();
        page.finish();
        if done {
            break;
        }
    }
    finish(doc)
}
