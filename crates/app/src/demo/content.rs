//! The demo's portal content (issue 17): a notice for everyone (on the
//! sign-in page too) and one for 民政局, a banner, the FAQ, and the seed's
//! external links (§伍 六) on the application list, two of them on the
//! dashboard as well.
use super::SEED;
use crate::{App, Result};
use portico_core::content::{BannerInput, FaqInput, LinkInput, NoticeInput};
use portico_core::files::FileKind;
use portico_core::org::OrgKind;
use portico_store::content as store;
use portico_store::{accounts, db_err, orgs};

/// A wide banner: the city's colours in bands, as a stand-in for artwork.
fn banner_png() -> Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(1200, 300, |x, y| {
        let band = (x / 150 + y / 100) % 3;
        match band {
            0 => image::Rgb([11, 92, 173]),
            1 => image::Rgb([245, 158, 11]),
            _ => image::Rgb([236, 240, 245]),
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| portico_core::Error::internal(format!("demo banner: {e}")))?;
    Ok(out.into_inner())
}

const FAQS: &[(&str, &str, &str)] = &[
    (
        "帳號與密碼",
        "忘記密碼怎麼辦？",
        "<p>請在登入頁按「忘記密碼」，以備用電子郵件、手機或自然人憑證驗證身分後重設。仍無法登入時，請洽所屬機關的機關管理者。</p>",
    ),
    (
        "帳號與密碼",
        "帳號被鎖定了，要等多久？",
        "<p>連續登入失敗達系統參數所定次數後，帳號會暫時鎖定；鎖定時間到後即可再試，或請機關管理者解除。</p>",
    ),
    (
        "帳號與密碼",
        "密碼多久要換一次？",
        "<p>密碼每 90 天須更換一次，系統會在到期前 14 天於右上角提醒。</p>",
    ),
    (
        "登入方式",
        "可以用哪些方式登入？",
        "<ul><li>帳號密碼加圖形驗證碼</li><li>驗證器 App 動態密碼</li><li>自然人憑證</li><li>行動自然人憑證</li><li>通行金鑰</li></ul>",
    ),
    (
        "登入方式",
        "在家可以用自然人憑證登入嗎？",
        "<p>可以。請先安裝內政部跨平台網頁元件，插入讀卡機後於登入頁選擇「自然人憑證」。</p>",
    ),
    (
        "公告與檔案",
        "公告的「本機關(含所屬機關)」是什麼意思？",
        "<p>您所屬機關的同仁，以及隸屬於您機關之下的機關（例如教育局所屬學校）的同仁都看得到；「本機關」則只有您機關的同仁看得到。</p>",
    ),
];

/// (name, url, icon, description, on the dashboard too)
const LINKS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "教育訓練報名",
        "https://example.tainan.gov.tw/training",
        "🎓",
        "臺南市政府課程線上報名平台",
        true,
    ),
    (
        "永華辦公室溫度表",
        "https://example.tainan.gov.tw/temperature",
        "🌡",
        "永華市政中心各樓層辦公室溫度",
        false,
    ),
    (
        "節能減碳平台",
        "https://example.tainan.gov.tw/energy",
        "🌱",
        "各機關用電與減碳資訊",
        false,
    ),
    (
        "物品管理系統",
        "https://example.tainan.gov.tw/property",
        "📦",
        "財產與物品管理",
        false,
    ),
    (
        "小額採購資訊網",
        "https://example.tainan.gov.tw/purchase",
        "🛒",
        "小額採購公告與查詢",
        false,
    ),
    (
        "人事處 iShare 網站",
        "https://example.tainan.gov.tw/ishare",
        "👥",
        "人事法規與表單",
        false,
    ),
    (
        "薪資暨所得資料查詢系統",
        "https://example.tainan.gov.tw/salary",
        "💰",
        "薪資單與所得資料",
        true,
    ),
];

impl App {
    /// The demo's notices, banner, FAQ and links.
    pub(super) async fn seed_demo_content(&self) -> Result<()> {
        let now = self.now();
        let w = SEED.system();
        let bytes = banner_png()?;
        let s = self
            .stash_upload("banners", "2026 臺南燈會.png", FileKind::Png, bytes)
            .await?;
        let mut tx = self.db.begin().await?;
        let Some(admin) = accounts::find_by_login(&mut tx, "admin").await? else {
            return Ok(());
        };
        let file = self.keep_stashed(&mut tx, admin.id, &s).await?;
        let banner = BannerInput {
            title: "2026 臺南燈會".into(),
            alt: "2026 臺南燈會，2 月 14 日至 3 月 1 日在安平港，歡迎同仁揪團參觀".into(),
            link: "https://example.tainan.gov.tw/lantern".into(),
            ..Default::default()
        }
        .check()?;
        store::insert_banner(&mut tx, w, &banner, file, now).await?;
        let everyone = NoticeInput {
            title: "本週六 22:00–24:00 系統維護".into(),
            body: "維護期間暫停單一簽入，請提早完成需要登入的作業。".into(),
            audience: "all".into(),
            ..Default::default()
        }
        .check()?;
        store::save_notice(&mut tx, w, None, &everyone, now).await?;
        let civil = orgs::list_all(&mut tx)
            .await?
            .into_iter()
            .find(|u| u.name == "民政局" && u.kind == OrgKind::Agency);
        if let Some(civil) = civil {
            let theirs = NoticeInput {
                title: "民政局同仁請於 12 月 15 日前完成資安教育訓練".into(),
                body: "請至「教育訓練報名」選修 3 小時資通安全課程。".into(),
                audience: "agencies".into(),
                agencies: vec![civil.id.0],
                ..Default::default()
            }
            .check()?;
            store::save_notice(&mut tx, w, None, &theirs, now).await?;
        }
        for (i, (category, question, answer)) in FAQS.iter().enumerate() {
            let f = FaqInput {
                category: (*category).into(),
                question: (*question).into(),
                answer: (*answer).into(),
                position: i.to_string(),
            }
            .check()?;
            store::save_faq(&mut tx, w, None, &f, now).await?;
        }
        for (i, (name, url, icon, description, home)) in LINKS.iter().enumerate() {
            let l = LinkInput {
                name: (*name).into(),
                url: (*url).into(),
                icon: (*icon).into(),
                description: (*description).into(),
                audience: "all".into(),
                position: i.to_string(),
                on_home: *home,
                in_list: true,
                ..Default::default()
            }
            .check()?;
            store::save_link(&mut tx, w, None, &l, now).await?;
        }
        tx.commit().await.map_err(db_err)
    }
}
