//! The demo's announcements (issue 17): a fortnight of posts from several
//! agencies in every reach, one scheduled for tomorrow morning and one kept
//! unpublished by 王小明 (`staff`), an attachment, and a discussion with
//! the author's reply, so 公告專區, 我的公告管理 and the home page have
//! something to show.
use super::SEED;
use crate::{App, Result};
use portico_core::announcement::{PostInput, Reach};
use portico_core::files::FileKind;
use portico_store::announcements::{self as store, ForAgency};
use portico_store::{accounts, db_err, orgs};
use time::Duration;

/// (author, title, body, reach, days ago; negative: scheduled ahead, `None`: unpublished)
type DemoPost = (&'static str, &'static str, &'static str, Reach, Option<i64>);

const POSTS: &[DemoPost] = &[
    (
        "admin",
        "公務入口網系統維護公告",
        "<p>本網站訂於<strong>本週六 22:00 至 24:00</strong> 進行系統維護，期間暫停單一簽入服務。</p><ul><li>維護期間請勿送出申請表單。</li><li>如有緊急需求請洽智慧發展中心服務台（分機 8888）。</li></ul>",
        Reach::City,
        Some(1),
    ),
    (
        "civil_admin",
        "民政局 12 月份業務會報通知",
        "<p>12 月份業務會報訂於下週一上午 9 時假本局第一會議室召開，請各科室主管準時出席，並於前一日下班前提送書面資料。</p>",
        Reach::Agency,
        Some(2),
    ),
    (
        "staff",
        "永華市政中心停車場施工期間停車安排",
        "永華市政中心地下停車場 B2 將於 12 月 8 日至 12 月 19 日施工。\n\n施工期間請改停 B1 或市政中心東側平面停車場，詳見附件時段表。",
        Reach::City,
        Some(3),
    ),
    (
        "edu_admin",
        "教育局所屬學校資訊安全稽核時程",
        "<p>本年度第四季資訊安全內部稽核將依下列時程辦理，請所屬學校資訊組長預先完成自我檢查表：</p><ol><li>12 月 9 日：國中組</li><li>12 月 10 日：國小組</li></ol>",
        Reach::AgencyTree,
        Some(4),
    ),
    (
        "stat_mgr",
        "主計處 114 年度決算作業說明會",
        "<p>為利各機關辦理決算，本處訂於 12 月 12 日下午 2 時舉辦說明會，歡迎各機關會計人員報名參加。</p>",
        Reach::City,
        Some(6),
    ),
    (
        "anping_admin",
        "安平區公所年終大掃除",
        "<p>本所訂於 12 月 20 日下午辦理年終大掃除，請同仁配合整理個人辦公區域。</p>",
        Reach::Agency,
        Some(8),
    ),
    (
        "admin",
        "密碼原則調整說明",
        "<p>依資通安全責任等級分級辦法，自明年 1 月起密碼至少 12 碼，並須每 90 天更換一次。系統將於到期前 14 天提醒。</p>",
        Reach::City,
        Some(12),
    ),
    (
        "civil_admin",
        "民政局歲末聯歡活動報名",
        "<p>歲末聯歡訂於 12 月 26 日晚間舉行，請於 12 月 15 日前向各科室聯絡人報名。</p>",
        Reach::AgencyTree,
        Some(-1),
    ),
    (
        "staff",
        "（草稿）科室讀書會書單",
        "<p>本季讀書會書單徵求建議中。</p>",
        Reach::Agency,
        None,
    ),
];

impl App {
    /// The demo's posts, once the accounts are seeded.
    pub(super) async fn seed_demo_announcements(&self) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::new();
        for (i, (login, title, body, reach, days)) in POSTS.iter().enumerate() {
            let Some(a) = accounts::find_by_login(&mut tx, login).await? else {
                continue;
            };
            let Some(agency) = a.agency_id else {
                continue;
            };
            let Some(unit) = orgs::get(&mut tx, agency).await? else {
                continue;
            };
            let at = days.map(|d| {
                let t = now - Duration::days(d) - Duration::minutes(37 * i as i64);
                if d < 0 {
                    // Tomorrow at 09:00, Taipei time.
                    let day =
                        (now.to_offset(portico_core::time::TAIPEI) + Duration::days(1)).date();
                    portico_core::time::taipei_day_start(day) + Duration::hours(9)
                } else {
                    t
                }
            });
            let release = if at.is_some() { "now" } else { "draft" };
            let post = PostInput {
                title: (*title).into(),
                body: (*body).into(),
                reach: reach.as_str().into(),
                release: release.into(),
                at: String::new(),
            }
            .check(now, None)?;
            let post = portico_core::announcement::Post {
                publish_at: at,
                ..post
            };
            let created = at.filter(|t| *t <= now).unwrap_or(now);
            let id = store::insert(
                &mut tx,
                a.id,
                ForAgency {
                    id: agency,
                    path: &unit.path,
                    name: &unit.name,
                },
                &post,
                created,
            )
            .await?;
            ids.push((login, id, a.id));
        }
        // The parking post carries its timetable, and a discussion.
        if let Some(&(_, parking, author)) = ids.iter().find(|(l, _, _)| **l == "staff") {
            let csv = "日期,開放區域,備註\n12/08–12/12,B1、東側平面,B2 封閉\n12/15–12/19,B1,東側平面開放公務車\n";
            let s = self
                .stash_upload(
                    "announcements",
                    "停車場施工時段表.csv",
                    FileKind::Csv,
                    csv.as_bytes().to_vec(),
                )
                .await?;
            let file = self.keep_stashed(&mut tx, author, &s).await?;
            store::add_file(&mut tx, SEED.post_author_for(parking), file, "attachment").await?;
            let asker = accounts::find_by_login(&mut tx, "clerk").await?;
            if let Some(asker) = asker {
                let c = store::add_comment(
                    &mut tx,
                    parking,
                    asker.id,
                    "請問公務車也要改停東側平面嗎？",
                    now - Duration::days(2),
                )
                .await?;
                store::reply(
                    &mut tx,
                    SEED.post_author_for(parking),
                    c,
                    "公務車第二週起可停東側平面，第一週請停 B1 公務車專區。",
                    now - Duration::days(2) + Duration::hours(3),
                )
                .await?;
            }
            for _ in 0..37 {
                store::count_view(&mut tx, parking).await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        self.seed_demo_documents().await?;
        self.seed_demo_downloads().await
    }

    /// 檔案下載區: a few shared files from three people of three
    /// agencies, 全府 and 本機關, one kept (保留).
    async fn seed_demo_downloads(&self) -> Result<()> {
        use portico_core::download::DownloadInput;
        let now = self.now();
        // Uploader, 使用說明, 主類別, 發布範圍, file name and text, 保留,
        // days ago.
        type Entry<'a> = (
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            bool,
            i64,
        );
        let entries: [Entry; 5] = [
            (
                "staff",
                "115 年度差旅費報支單（電子表單填寫範例）",
                "forms",
                "city",
                "差旅費報支單.csv",
                "項目,金額\n交通費,\n住宿費,\n",
                true,
                20,
            ),
            (
                "staff",
                "民政局里鄰長研習講義，僅供本局同仁參考",
                "training",
                "agency",
                "研習講義.txt",
                "第一講：里鄰工作概說\n",
                false,
                9,
            ),
            (
                "stat_mgr",
                "114 年度決算作業說明會簡報及問答整理",
                "budget",
                "city",
                "決算說明會問答.txt",
                "問：決算書何時送審？\n答：依主計處通知。\n",
                false,
                5,
            ),
            (
                "civil_admin",
                "公務入口網帳號申請流程操作手冊",
                "manuals",
                "city",
                "帳號申請流程.txt",
                "一、線上申請\n二、機關管理者審核\n",
                true,
                3,
            ),
            (
                "stat_mgr",
                "主計處內部會議紀錄範本",
                "meetings",
                "agency",
                "會議紀錄範本.csv",
                "日期,主席,決議\n",
                false,
                1,
            ),
        ];
        for (login, description, category, scope, name, bytes, keep, days) in entries {
            let mut tx = self.db.begin().await?;
            let Some(a) = accounts::find_by_login(&mut tx, login).await? else {
                continue;
            };
            let Some(unit) = (match a.agency_id {
                Some(id) => orgs::get(&mut tx, id).await?,
                None => None,
            }) else {
                continue;
            };
            let d = DownloadInput {
                description: description.into(),
                category: category.into(),
                scope: scope.into(),
            }
            .check()?;
            let id = portico_store::downloads::insert(
                &mut tx,
                a.id,
                portico_store::downloads::ForAgency {
                    id: unit.id,
                    path: &unit.path,
                    name: &unit.name,
                },
                &d,
                now - Duration::days(days),
            )
            .await?;
            let kind = if name.ends_with(".csv") {
                FileKind::Csv
            } else {
                FileKind::Txt
            };
            let s = self
                .stash_upload("downloads", name, kind, bytes.as_bytes().to_vec())
                .await?;
            let file = self.keep_stashed(&mut tx, a.id, &s).await?;
            let w = SEED.download_keeper_for(id);
            portico_store::downloads::add_file(&mut tx, w, file).await?;
            if keep {
                portico_store::downloads::set_keep(&mut tx, w, true).await?;
            }
            tx.commit().await.map_err(db_err)?;
        }
        Ok(())
    }

    /// One official document's topic by 王小明 (`staff`), public, with its
    /// timetable: 南市民字第1150001234號, 識別碼 0183 (the demo prints it),
    /// fetched from `/filedownload` signed out.
    async fn seed_demo_documents(&self) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let Some(a) = accounts::find_by_login(&mut tx, "staff").await? else {
            return Ok(());
        };
        let (Some(agency), Some(unit)) = (
            a.agency_id,
            match a.agency_id {
                Some(id) => orgs::get(&mut tx, id).await?,
                None => None,
            },
        ) else {
            return Ok(());
        };
        let topic = portico_core::document::TopicInput {
            word: "南市民".into(),
            number: "1150001234".into(),
            branch: String::new(),
            summary: "115 年度里鄰長研習實施計畫及報名表".into(),
            code: DEMO_DOCUMENT_CODE.into(),
            takedown: portico_core::time::date_str(
                portico_core::booking::today(now) + Duration::days(60),
            ),
            public: "yes".into(),
        }
        .check(portico_core::booking::today(now), None)?;
        let id = portico_store::documents::insert(
            &mut tx,
            a.id,
            portico_store::documents::ForAgency {
                id: agency,
                path: &unit.path,
                name: &unit.name,
            },
            &topic,
            now - Duration::days(1),
        )
        .await?;
        let csv = "場次,日期,地點\n第一場,2027-01-12,永華市政中心 10 樓\n第二場,2027-01-19,民治市政中心 3 樓\n";
        let s = self
            .stash_upload(
                "documents",
                "研習場次表.csv",
                FileKind::Csv,
                csv.as_bytes().to_vec(),
            )
            .await?;
        let file = self.keep_stashed(&mut tx, a.id, &s).await?;
        portico_store::documents::add_file(&mut tx, SEED.topic_keeper_for(id), file).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// The demo document's 識別碼, printed with the demo's accounts.
pub const DEMO_DOCUMENT_CODE: &str = "0183";
