//! 列印申請書: the printed application form (seed 000) and the
//! confidentiality undertaking (保密切結書, 002 §五), as PDF in Traditional
//! Chinese, with the CJK font subset-embedded so the text can be searched
//! and read back. One A4 page; the layout is a bordered table as the
//! seed's forms are.
pub use crate::pdf::{DEFAULT_FONT, PdfFont};
use crate::pdf::{H, LEFT, Pen, RIGHT, SIZE, W, finish, new_doc, width, wrap};
use krilla::page::PageSettings;
use krilla::text::Font;
use portico_core::access::{Op, Step};

/// What a printed form says.
#[derive(Debug, Clone, Default)]
pub struct PrintForm {
    /// The portal's name over the title (臺南市政府公務入口網).
    pub portal: String,
    /// The form's title when it is not a step's (帳號註銷申請表).
    pub title: String,
    /// The label of the purpose row when not 用途說明 (註銷原因).
    pub purpose_label: String,
    pub step: Option<Step>,
    pub op: Option<Op>,
    /// The form's number once filed; a draft has none.
    pub number: String,
    /// 申請時間, as `2025/12/17`.
    pub date: String,
    /// The rows about what is asked: 會員類別名稱, 申請組織, 申請職稱/身分.
    pub subject: Vec<(String, String)>,
    /// For roles: 應用系統, 角色, 新增/刪除, 來源.
    pub roles: Vec<[String; 4]>,
    pub login: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub purpose: String,
    pub note: String,
    /// 注意事項.
    pub notices: Vec<String>,
}

/// The application form of seed 000: 版本編號, 機密等級, 類型 新增/刪除,
/// 申請時間, what is asked, the applicant, 用途說明, 備註, the signature
/// boxes 申請人 and 申請單位主管, and 注意事項.
pub fn render_form(font: &Font, f: &PrintForm) -> Result<Vec<u8>, String> {
    let step = f.step.unwrap_or(Step::Category);
    let title = if f.title.is_empty() {
        format!("{} {}", f.portal, step.form_title().zh)
    } else {
        format!("{} {}", f.portal, f.title)
    };
    let mut doc = new_doc(&title);
    {
        let mut page = doc.start_page_with(PageSettings::from_wh(W, H).ok_or("page size")?);
        let mut s = page.surface();
        let mut p = Pen::new(&mut s, font);
        p.text(LEFT, 48.0, 9.0, "版本編號：V1.0");
        p.text(LEFT, 62.0, 9.0, "機密等級：機密");
        if !f.number.is_empty() {
            let n = format!("申請單號：{}", f.number);
            p.text(RIGHT - width(&n, 9.0), 48.0, 9.0, &n);
        }
        p.text((W - width(&title, 16.0)) / 2.0, 92.0, 16.0, &title);

        let mut y = 108.0;
        // 類型 and 申請時間 share the first row.
        let h = 28.0;
        p.rect(LEFT, y, 110.0, h, false);
        p.text(LEFT + 6.0, y + 18.0, SIZE, "類型");
        p.rect(LEFT + 110.0, y, 190.0, h, false);
        let op = f.op.unwrap_or(Op::Add);
        let mut x = LEFT + 118.0;
        x = p.check(x, y + 18.0, op == Op::Add, "新增");
        x = p.check(x, y + 18.0, op == Op::Remove, "刪除");
        p.check(x, y + 18.0, op == Op::Change, "異動");
        p.rect(LEFT + 300.0, y, 80.0, h, false);
        p.text(LEFT + 306.0, y + 18.0, SIZE, "申請時間");
        p.rect(LEFT + 380.0, y, RIGHT - LEFT - 380.0, h, false);
        p.text(LEFT + 386.0, y + 18.0, SIZE, &f.date);
        y += h;

        for (label, value) in &f.subject {
            y = p.row(y, label, value, 28.0);
        }
        if !f.roles.is_empty() {
            p.rect(LEFT, y, RIGHT - LEFT, 24.0, false);
            p.text(LEFT + 6.0, y + 16.0, SIZE, "申請應用系統權限");
            y += 24.0;
            let cols = [LEFT, LEFT + 150.0, LEFT + 330.0, LEFT + 410.0, RIGHT];
            let heads = ["應用系統", "角色", "類型", "來源"];
            for (i, head) in heads.iter().enumerate() {
                p.rect(cols[i], y, cols[i + 1] - cols[i], 22.0, false);
                p.text(cols[i] + 6.0, y + 15.0, SIZE, head);
            }
            y += 22.0;
            for r in &f.roles {
                for (i, cell) in r.iter().enumerate() {
                    p.rect(cols[i], y, cols[i + 1] - cols[i], 22.0, false);
                    let max = cols[i + 1] - cols[i] - 10.0;
                    let line = wrap(cell, SIZE, max).into_iter().next().unwrap_or_default();
                    p.text(cols[i] + 6.0, y + 15.0, SIZE, &line);
                }
                y += 22.0;
            }
        }
        y = p.row(y, "申請人帳號", &f.login, 26.0);
        y = p.row(y, "申請人姓名", &f.name, 26.0);
        y = p.row(y, "聯絡電話", &f.phone, 26.0);
        y = p.row(y, "電子郵件", &f.email, 26.0);
        let purpose_label = if f.purpose_label.is_empty() {
            "用途說明"
        } else {
            &f.purpose_label
        };
        y = p.row(y, purpose_label, &f.purpose, 40.0);
        y = p.row(y, "備註", &f.note, 40.0);

        // The signature boxes: 申請人 and 申請單位主管, each 簽章.
        let half = (RIGHT - LEFT) / 2.0;
        let sign_h = 80.0;
        for (i, who) in ["申請人", "申請單位主管"].iter().enumerate() {
            let x = LEFT + half * i as f32;
            p.rect(x, y, 84.0, sign_h, false);
            p.text(x + 6.0, y + 30.0, SIZE, who);
            p.text(x + 6.0, y + 50.0, SIZE, "簽章");
            p.rect(x + 84.0, y, half - 84.0, sign_h, false);
        }
        y += sign_h;

        if !f.notices.is_empty() {
            y += 18.0;
            p.text(LEFT, y, SIZE, "注意事項");
            for (i, n) in f.notices.iter().enumerate() {
                for (j, l) in wrap(&format!("{}. {n}", i + 1), 10.0, RIGHT - LEFT - 12.0)
                    .iter()
                    .enumerate()
                {
                    y += 15.0;
                    p.text(LEFT + if j == 0 { 6.0 } else { 18.0 }, y, 10.0, l);
                }
            }
        }
        p.text(
            LEFT,
            H - 30.0,
            8.0,
            "請列印後由申請人及申請單位主管簽章，掃描為 PDF、JPEG 或 PNG 後於申請頁上傳。",
        );
        s.finish();
        page.finish();
    }
    finish(doc)
}

/// What the undertaking names.
#[derive(Debug, Clone, Default)]
pub struct PrintUndertaking {
    pub portal: String,
    pub app: String,
    pub login: String,
    pub name: String,
    pub agency: String,
    pub date: String,
}

/// 保密切結書 (002 §二, §六 (三)): what the holder of a role undertakes.
pub fn render_undertaking(font: &Font, u: &PrintUndertaking) -> Result<Vec<u8>, String> {
    let title = "保密切結書".to_owned();
    let mut doc = new_doc(&title);
    {
        let mut page = doc.start_page_with(PageSettings::from_wh(W, H).ok_or("page size")?);
        let mut s = page.surface();
        let mut p = Pen::new(&mut s, font);
        p.text((W - width(&title, 18.0)) / 2.0, 80.0, 18.0, &title);
        let body = [
            format!(
                "立切結書人 {}（帳號 {}，{}）因業務需要使用「{}」，經由{}申請授權，茲切結遵守下列事項：",
                u.name, u.login, u.agency, u.app, u.portal
            ),
            "一、對使用系統查詢所得之資料負保密責任，除處理公務外，不得他用。".into(),
            "二、不得將系統帳號、密碼提供他人（含代理人）使用，或代替他人查詢系統授權管制項目之資料。".into(),
            "三、使用系統查詢時，應輸入正確案件號、公文號或敘明需使用系統的原因，以備稽查。".into(),
            "四、利用系統列印或下載之資料，應隨案歸檔、妥善保管或予以銷毀，不得以任何型式複製提供；系統使用完畢後，應即退出系統。".into(),
            "五、於離職或職務調整前，應提出權限註銷（或變更）申請。".into(),
            "如有違反，願負相關法律責任。".into(),
        ];
        let mut y = 120.0;
        for para in &body {
            for l in wrap(para, 12.0, RIGHT - LEFT) {
                p.text(LEFT, y, 12.0, &l);
                y += 20.0;
            }
            y += 6.0;
        }
        y += 30.0;
        p.text(LEFT + 200.0, y, 12.0, "立切結書人：");
        p.rect(LEFT + 280.0, y - 30.0, RIGHT - LEFT - 280.0, 50.0, false);
        y += 50.0;
        p.text(LEFT + 200.0, y, 12.0, &format!("日期：{}", u.date));
        s.finish();
        page.finish();
    }
    finish(doc)
}
