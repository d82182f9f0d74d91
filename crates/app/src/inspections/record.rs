//! The inspection's record: 附件二 (the unit's, for the agency admin) and
//! 附件三 (the agency's, for the head of agency) of 002 §七 (一), as PDF,
//! and the sample with its marks as a workbook (xlsx or ODS).
use super::Sampled;
use crate::export::{Sheet, Table, table};
use crate::pdf::{H, LEFT, Pen, RIGHT, SIZE, W, finish, new_doc, width, wrap};
use crate::{App, Result};
use krilla::page::PageSettings;
use krilla::text::Font;
use portico_core::inspection::{Kind, Mark, State};
use portico_core::permission::Principal;
use portico_core::time::{date_str, display};
use portico_store::inspections::Inspection;

/// A file to download.
#[derive(Debug, Clone)]
pub struct RecordFile {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl App {
    /// The record as PDF: whoever may work on the inspection.
    pub async fn inspection_pdf(&self, actor: &Principal, id: i64) -> Result<RecordFile> {
        let v = self.inspection(actor, id).await?;
        let portal = self.portal_name();
        let name = format!(
            "{}-{}-{}.pdf",
            annex(v.inspection.kind),
            v.inspection.period.code(),
            v.inspection.id
        );
        let ins = v.inspection;
        let items = v.items;
        let bytes = self
            .render_pdf(move |font| render(font, &portal, &ins, &items))
            .await?;
        Ok(RecordFile {
            name,
            content_type: "application/pdf",
            bytes,
        })
    }

    /// The sample and its marks as a workbook.
    pub async fn inspection_sheet(
        &self,
        actor: &Principal,
        id: i64,
        format: Sheet,
    ) -> Result<RecordFile> {
        // `inspection` checks the actor's right.
        let v = self.inspection(actor, id).await?;
        let ins = &v.inspection;
        let headers = [
            "紀錄序號",
            "月份",
            "使用時間",
            "帳號",
            "姓名",
            "單位",
            "系統",
            "動作",
            "查詢對象",
            "查詢原因",
            "稽核結果",
            "說明",
            "標記時間",
            "結案時間",
            "結案說明",
        ]
        .map(String::from)
        .to_vec();
        let months = ins.period.months();
        let rows = v
            .items
            .iter()
            .map(|s| {
                let i = &s.item;
                vec![
                    i.seq.to_string(),
                    months
                        .get(i.month as usize)
                        .map(|(y, m)| format!("{y}-{m:02}"))
                        .unwrap_or_default(),
                    display(i.used_at),
                    i.login.clone(),
                    i.name.clone(),
                    i.unit_name.clone(),
                    s.system.clone(),
                    s.what.zh.to_string(),
                    s.object.clone(),
                    s.reason.clone(),
                    i.mark.map(|m| m.label().zh.to_string()).unwrap_or_default(),
                    i.note.clone(),
                    i.marked_at.map(display).unwrap_or_default(),
                    i.closed_at.map(display).unwrap_or_default(),
                    i.close_note.clone(),
                ]
            })
            .collect();
        let sheet = format!("{}{}", annex(ins.kind), ins.period.code());
        let bytes = table(
            &Table {
                name: &sheet,
                headers,
                rows,
            },
            format,
        )?;
        Ok(RecordFile {
            name: format!(
                "{}-{}-{}.{}",
                annex(ins.kind),
                ins.period.code(),
                ins.id,
                format.extension()
            ),
            content_type: format.content_type(),
            bytes,
        })
    }
}

fn annex(k: Kind) -> &'static str {
    match k {
        Kind::Unit => "附件二",
        Kind::Agency => "附件三",
    }
}

fn title(k: Kind) -> &'static str {
    match k {
        Kind::Unit => "單位使用紀錄稽核紀錄表",
        Kind::Agency => "機關使用紀錄稽核紀錄表",
    }
}

/// The table's columns: x of each edge.
const COLS: [f32; 7] = [
    LEFT,
    LEFT + 40.0,
    LEFT + 130.0,
    LEFT + 215.0,
    LEFT + 330.0,
    LEFT + 445.0,
    RIGHT,
];
const HEADS: [&str; 6] = [
    "序號",
    "使用時間",
    "使用者",
    "系統／動作",
    "查詢原因",
    "結果",
];
const ROW: f32 = 30.0;
const SMALL: f32 = 8.5;

/// The record: its facts, the sampled records (continued over as many
/// pages as they take), the result and the signature boxes.
fn render(
    font: &Font,
    portal: &str,
    i: &Inspection,
    items: &[Sampled],
) -> std::result::Result<Vec<u8>, String> {
    let t = format!("{portal} {}", title(i.kind));
    let mut doc = new_doc(&t);
    let normal = items
        .iter()
        .filter(|s| s.item.mark == Some(Mark::Normal))
        .count();
    let abnormal: Vec<&Sampled> = items
        .iter()
        .filter(|s| s.item.mark == Some(Mark::Abnormal))
        .collect();
    let months: Vec<String> = {
        let mut m: Vec<u8> = items.iter().map(|s| s.item.month).collect();
        m.sort_unstable();
        m.dedup();
        let all = i.period.months();
        m.iter()
            .filter_map(|x| all.get(*x as usize))
            .map(|(y, mo)| format!("{} 年 {mo} 月", y - 1911))
            .collect()
    };
    let people = {
        let mut p: Vec<(i64, i64)> = items
            .iter()
            .map(|s| (s.item.unit_id, s.item.account_id))
            .collect();
        p.sort_unstable();
        p.dedup();
        p.len()
    };
    let mut rest: &[Sampled] = items;
    let mut first = true;
    let mut page_no = 0;
    loop {
        page_no += 1;
        let mut page = doc.start_page_with(PageSettings::from_wh(W, H).ok_or("page size")?);
        let mut s = page.surface();
        let mut p = Pen::new(&mut s, font);
        let head = format!("{}（{}）", title(i.kind), annex(i.kind));
        p.text(LEFT, 40.0, 9.0, &format!("{portal}　機密等級：限閱"));
        let no = format!("第 {page_no} 頁　紀錄編號 {}", i.id);
        p.text(RIGHT - width(&no, 9.0), 40.0, 9.0, &no);
        let mut y = 60.0;
        if first {
            p.text((W - width(&head, 16.0)) / 2.0, 76.0, 16.0, &head);
            y = 92.0;
            let place = match i.kind {
                Kind::Unit => "受稽核單位",
                Kind::Agency => "受稽核機關",
            };
            y = p.row(y, place, &i.unit_name, 24.0);
            y = p.row(
                y,
                "稽核期間",
                &format!(
                    "{}（{} 至 {}）",
                    i.period.label().zh,
                    date_str(i.period.start()),
                    date_str(i.period.end().previous_day().unwrap_or(i.period.end()))
                ),
                24.0,
            );
            let (who, whom) = match i.kind {
                Kind::Unit => ("使用人數", "單位"),
                Kind::Agency => ("單位稽核人數", "各單位"),
            };
            y = p.row(
                y,
                "稽核人數",
                &format!(
                    "{who} {} 人，應稽核 {} 人以上，實際稽核 {people} 人",
                    i.people, i.target_people
                ),
                24.0,
            );
            y = p.row(
                y,
                "稽核筆數",
                &format!(
                    "{whom}使用紀錄 {} 筆，應稽核 {} 筆以上，實際稽核 {} 筆",
                    i.population,
                    i.target_records,
                    items.len()
                ),
                24.0,
            );
            y = p.row(y, "抽檢月份", &months.join("、"), 24.0);
            y = p.row(
                y,
                "抽樣方式",
                &format!(
                    "依規定以亂數抽樣（種子 {:016x}，截至紀錄序號 {}），以相同種子重新抽樣可得相同結果",
                    i.seed, i.through_seq
                ),
                24.0,
            );
            y += 10.0;
            first = false;
        }
        // The table's head.
        for (k, h) in HEADS.iter().enumerate() {
            p.rect(COLS[k], y, COLS[k + 1] - COLS[k], 20.0, false);
            p.text(COLS[k] + 4.0, y + 14.0, 9.5, h);
        }
        y += 20.0;
        let bottom = H - 60.0;
        let mut n = 0;
        for s in rest {
            if y + ROW > bottom {
                break;
            }
            let it = &s.item;
            let cells = [
                vec![it.seq.to_string()],
                vec![display(it.used_at)],
                vec![it.name.clone(), it.login.clone()],
                vec![s.system.clone(), format!("{} {}", s.what.zh, s.object)],
                vec![s.reason.clone()],
                vec![
                    it.mark
                        .map(|m| m.label().zh.to_string())
                        .unwrap_or_else(|| "未標記".into()),
                    it.note.clone(),
                ],
            ];
            p.cells(&COLS, y, ROW, SMALL, &cells);
            y += ROW;
            n += 1;
        }
        rest = &rest[n..];
        let done = rest.is_empty() && y + 230.0 <= bottom + 40.0;
        if done {
            y += 12.0;
            y = p.row(
                y,
                "稽核結果",
                &format!("正常 {normal} 筆，異常 {} 筆", abnormal.len()),
                24.0,
            );
            let notes: Vec<String> = abnormal
                .iter()
                .map(|s| {
                    format!(
                        "序號 {} {}（{}）：{}",
                        s.item.seq, s.item.name, s.item.login, s.item.note
                    )
                })
                .collect();
            y = p.row(
                y,
                "異常說明",
                &if notes.is_empty() {
                    "無".into()
                } else {
                    notes.join("\n")
                },
                30.0,
            );
            y = p.row(y, "稽核結論", &i.conclusion, 30.0);
            y = p.row(
                y,
                "簽核",
                &match (i.state, i.signed_at) {
                    (State::Signed, Some(t)) => format!(
                        "{} 於 {} 簽核完成",
                        i.signed_by_name.clone().unwrap_or_default(),
                        display(t)
                    ),
                    _ => "稽核中（尚未簽核）".into(),
                },
                24.0,
            );
            let boxes: &[&str] = match i.kind {
                Kind::Unit => &["稽核人員", "單位主管"],
                Kind::Agency => &["機關管理者", "政風單位", "機關首長核定"],
            };
            let w = (RIGHT - LEFT) / boxes.len() as f32;
            for (k, b) in boxes.iter().enumerate() {
                let x = LEFT + w * k as f32;
                p.rect(x, y, w, 70.0, false);
                p.text(x + 6.0, y + 16.0, SIZE, b);
            }
            let foot = match i.kind {
                Kind::Unit => "依規定，單位稽核結果應作成紀錄送機關管理者留存；紀錄保存至少三年。",
                Kind::Agency => {
                    "依規定，機關稽核結果應陳報機關首長核定，並於每年二月底及八月底前將單位及機關稽核紀錄函送備查；紀錄保存至少三年。"
                }
            };
            for (k, l) in wrap(foot, 8.0, RIGHT - LEFT).iter().enumerate() {
                p.text(LEFT, H - 36.0 + k as f32 * 10.0, 8.0, l);
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
