//! The demo data set: Tainan's org tree (INTEGRATIONS.md), thousands of
//! plausible accounts, and one account of every kind a visitor should try.
//! Every demo account shares one Argon2id hash of the demo password, made
//! once at the real parameters: seeding is fast and real hashing is not
//! weakened.
use crate::{App, Result, event};
use portico_core::account::AccountState;
use portico_core::ids::AccountId;
use portico_core::national_id::NationalId;
use portico_core::org::OrgKind;
use portico_core::permission::RoleKind;
use portico_store::accounts::{self, NewAccount};
use portico_store::orgs::{self, NewUnit, OrgUnit};
use portico_store::{audit, db_err, roles};
use time::Duration;

mod access;
mod announcements;
mod cars;
mod certifications;
mod clients;
mod content;
mod inspections;
mod mailboxes;
mod repairs;
mod venues;

pub use announcements::DEMO_DOCUMENT_CODE;
use clients::seed_demo_apps;
pub use clients::{SAMPLE_APP_URL, SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_RS256_CLIENT_ID};

/// The demo seeder writes its org tree, accounts and roles as the portal
/// itself.
const SEED: portico_core::permission::Unattended =
    portico_core::permission::Unattended::unattended("the demo seeder");

pub const DEMO_PASSWORD: &str = "Portico#2026";
/// The city's OID; groups, agencies and units are numbered below it.
pub const CITY_OID: &str = "2.16.886.101.90028";

const BUREAUS: &[&str] = &[
    "智慧發展中心",
    "民政局",
    "教育局",
    "工務局",
    "社會局",
    "財政稅務局",
    "經濟發展局",
    "農業局",
    "衛生局",
    "環境保護局",
    "警察局",
    "消防局",
    "文化局",
    "交通局",
    "地政局",
    "勞工局",
    "都市發展局",
    "水利局",
    "觀光旅遊局",
    "人事處",
    "主計處",
    "法制處",
    "政風處",
    "秘書處",
    "新聞及國際關係處",
    "研究發展考核委員會",
    "原住民族事務委員會",
    "客家事務委員會",
];
const BUREAU_SECTIONS: &[&str] = &[
    "綜合企劃科",
    "行政科",
    "業務一科",
    "業務二科",
    "秘書室",
    "人事室",
    "會計室",
    "政風室",
];
const OUTSIDE: &[&str] = &[
    "臺南市立圖書館",
    "臺南市動物防疫保護處",
    "臺南市家庭教育中心",
    "臺南市東南地政事務所",
    "臺南市永康地政事務所",
    "臺南市安南區戶政事務所",
    "臺南市新營區戶政事務所",
    "臺南市立殯儀館",
    "臺南市政府衛生局北區衛生所",
    "臺南市公共運輸處",
];
const OUTSIDE_SECTIONS: &[&str] = &["第一課", "第二課", "行政課", "人事室", "會計室"];
const DISTRICTS: &[&str] = &[
    "中西", "東", "南", "北", "安平", "安南", "新營", "鹽水", "白河", "柳營", "後壁", "東山",
    "麻豆", "下營", "六甲", "官田", "大內", "佳里", "學甲", "西港", "七股", "將軍", "北門", "新化",
    "善化", "新市", "安定", "山上", "玉井", "楠西", "南化", "左鎮", "仁德", "歸仁", "關廟", "龍崎",
    "永康",
];
const DISTRICT_SECTIONS: &[&str] = &[
    "民政課",
    "社會課",
    "經建課",
    "人文課",
    "行政課",
    "人事室",
    "會計室",
];

const SURNAMES: &[(&str, &str)] = &[
    ("陳", "chen"),
    ("林", "lin"),
    ("黃", "huang"),
    ("張", "chang"),
    ("李", "li"),
    ("王", "wang"),
    ("吳", "wu"),
    ("劉", "liu"),
    ("蔡", "tsai"),
    ("楊", "yang"),
    ("許", "hsu"),
    ("鄭", "cheng"),
    ("謝", "hsieh"),
    ("郭", "kuo"),
    ("洪", "hung"),
    ("曾", "tseng"),
    ("邱", "chiu"),
    ("廖", "liao"),
    ("賴", "lai"),
    ("周", "chou"),
    ("徐", "hsu"),
    ("蘇", "su"),
    ("葉", "yeh"),
    ("莊", "chuang"),
    ("呂", "lu"),
    ("江", "chiang"),
    ("何", "ho"),
    ("蕭", "hsiao"),
];
const GIVEN: &[&str] = &[
    "志明", "淑芬", "家豪", "雅婷", "俊傑", "怡君", "建宏", "美玲", "宗翰", "佩珊", "冠宇", "欣怡",
    "承恩", "詩涵", "明哲", "宜蓁", "文彬", "惠如", "信宏", "靜宜", "政達", "玉婷", "柏翰", "筱涵",
    "國華", "秀英", "嘉文", "思妤", "育誠", "麗華",
];
const TITLES: &[&str] = &[
    "科員",
    "科員",
    "科員",
    "辦事員",
    "專員",
    "技士",
    "技正",
    "股長",
    "約僱人員",
    "課員",
    "秘書",
    "科長",
    "課長",
];

/// What the demo prints for a visitor.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: String,
    pub what: &'static str,
}

/// A small deterministic generator: the same demo every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The demo accounts a visitor is told about, with what each shows.
pub fn named_accounts() -> Vec<DemoAccount> {
    [
        ("admin", "系統管理者 System administrator"),
        (
            "civil_admin",
            "民政局機關管理者 Agency administrator, Civil Affairs Bureau",
        ),
        (
            "edu_admin",
            "教育局機關管理者 Agency administrator, Education Bureau",
        ),
        (
            "anping_admin",
            "安平區公所機關管理者 Agency administrator, Anping District Office",
        ),
        (
            "unit_admin",
            "民政局行政科單位管理者 Unit administrator, Civil Affairs admin section",
        ),
        ("staff", "一般使用者 General user (民政局)"),
        ("expiring", "密碼即將到期 Password about to expire"),
        ("locked_user", "已鎖定 Locked (15 minutes)"),
        ("disabled", "已停用 Disabled"),
        ("pending", "待審核 Pending review"),
        ("approved", "待開通 Awaiting activation"),
        (
            "clerk",
            "民政局郵件帳號保管人 Keeps Civil Affairs' mail accounts",
        ),
        (
            "stat_mgr",
            "主計處機關管理者、範例應用系統管理者 Agency administrator (Budget, Accounting and Statistics) and manager of the sample application",
        ),
        (
            "statistician",
            "地方政府公務統計人員，一張角色申請表簽核中 Statistician with a role form awaiting approval",
        ),
        (
            "vendor",
            "報修維修廠商（報修處理狀況回報）Repair vendor who answers reports",
        ),
    ]
    .into_iter()
    .map(|(l, w)| DemoAccount {
        login: l.to_owned(),
        what: w,
    })
    .collect()
}

impl App {
    /// Seeds the demo unless accounts exist already. Returns whether it
    /// seeded.
    pub async fn seed_demo(&self, accounts_wanted: usize) -> Result<bool> {
        if accounts::count(&mut *self.db.read().await?).await? > 0 {
            return Ok(false);
        }
        let hash = self.hasher.hash(DEMO_PASSWORD).await?;
        let now = self.now();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut tx = self.db.begin().await?;

        // The tree.
        let mut leaf_units: Vec<OrgUnit> = Vec::new();
        let mut by_name: std::collections::HashMap<String, OrgUnit> =
            std::collections::HashMap::new();
        let groups = [
            ("府內單位", BUREAUS, BUREAU_SECTIONS),
            ("府外機關", OUTSIDE, OUTSIDE_SECTIONS),
            ("區公所", DISTRICTS, DISTRICT_SECTIONS),
        ];
        for (gi, (gname, agencies, sections)) in groups.iter().enumerate() {
            let g_oid = format!("{CITY_OID}.{}", gi + 1);
            let group = orgs::insert(
                &mut tx,
                SEED.system(),
                NewUnit {
                    parent: None,
                    kind: OrgKind::Group,
                    name: gname,
                    oid: &g_oid,
                    sort_order: gi as i64,
                },
                now,
            )
            .await?;
            for (ai, a) in agencies.iter().enumerate() {
                let name = if gi == 2 {
                    format!("臺南市{a}區公所")
                } else {
                    (*a).to_owned()
                };
                let a_oid = format!("{g_oid}.{}", ai + 1);
                let agency = orgs::insert(
                    &mut tx,
                    SEED.system(),
                    NewUnit {
                        parent: Some(&group),
                        kind: OrgKind::Agency,
                        name: &name,
                        oid: &a_oid,
                        sort_order: ai as i64,
                    },
                    now,
                )
                .await?;
                let n_sections = 3 + (rng.below(3) as usize).min(sections.len() - 3);
                for (si, s) in sections.iter().take(n_sections).enumerate() {
                    let s_oid = format!("{a_oid}.{}", si + 1);
                    let unit = orgs::insert(
                        &mut tx,
                        SEED.system(),
                        NewUnit {
                            parent: Some(&agency),
                            kind: OrgKind::Unit,
                            name: s,
                            oid: &s_oid,
                            sort_order: si as i64,
                        },
                        now,
                    )
                    .await?;
                    by_name.insert(format!("{name}/{s}"), unit.clone());
                    leaf_units.push(unit);
                }
                by_name.insert(name, agency);
            }
        }
        let unit_of = |k: &str| {
            by_name
                .get(k)
                .cloned()
                .ok_or_else(|| portico_core::Error::internal(format!("demo unit {k} missing")))
        };

        // The named accounts.
        let civil_admin_unit = unit_of("民政局/行政科")?;
        let named: Vec<(&str, &str, OrgUnit, &str, AccountState)> = vec![
            (
                "admin",
                "系統管理員",
                unit_of("智慧發展中心/綜合企劃科")?,
                "資訊管理師",
                AccountState::Active,
            ),
            (
                "civil_admin",
                "林美玲",
                civil_admin_unit.clone(),
                "專員",
                AccountState::Active,
            ),
            (
                "edu_admin",
                "陳建宏",
                unit_of("教育局/行政科")?,
                "科長",
                AccountState::Active,
            ),
            (
                "anping_admin",
                "黃雅婷",
                unit_of("臺南市安平區公所/行政課")?,
                "課員",
                AccountState::Active,
            ),
            (
                "unit_admin",
                "張志明",
                civil_admin_unit.clone(),
                "股長",
                AccountState::Active,
            ),
            (
                "staff",
                "王小明",
                civil_admin_unit.clone(),
                "科員",
                AccountState::Active,
            ),
            (
                "expiring",
                "李淑芬",
                civil_admin_unit.clone(),
                "科員",
                AccountState::Active,
            ),
            (
                "locked_user",
                "吳家豪",
                civil_admin_unit.clone(),
                "辦事員",
                AccountState::Active,
            ),
            (
                "disabled",
                "劉怡君",
                civil_admin_unit.clone(),
                "科員",
                AccountState::Disabled,
            ),
            (
                "pending",
                "蔡宗翰",
                civil_admin_unit.clone(),
                "約僱人員",
                AccountState::Pending,
            ),
            (
                "approved",
                "楊佩珊",
                civil_admin_unit.clone(),
                "技士",
                AccountState::Approved,
            ),
            // Keeps 民政局's mail accounts.
            (
                "clerk",
                "陳文書",
                civil_admin_unit.clone(),
                "書記",
                AccountState::Active,
            ),
            // Access requests (issue 14): 主計處's admin, who also manages
            // the sample application's roles, and a statistician.
            (
                "stat_mgr",
                "黃國棟",
                unit_of("主計處/綜合企劃科")?,
                "科長",
                AccountState::Active,
            ),
            (
                "statistician",
                "吳佳穎",
                unit_of("主計處/業務一科")?,
                "科員",
                AccountState::Active,
            ),
            // Answers repair reports (issue 16) as a vendor's engineer.
            (
                "vendor",
                "林維修",
                unit_of("智慧發展中心/綜合企劃科")?,
                "約聘維修工程師",
                AccountState::Active,
            ),
        ];
        let mut ids = std::collections::HashMap::new();
        for (i, (login, name, unit, title, state)) in named.iter().enumerate() {
            let nid =
                NationalId::with_check_digit('D', &format!("{}{:07}", 1 + i % 2, 9_000_000 + i))
                    .map(|n| n.as_str().to_owned());
            let with_pw = matches!(state, AccountState::Active | AccountState::Disabled);
            let id = accounts::insert(
                &mut tx,
                &NewAccount {
                    login,
                    national_id: nid.as_deref(),
                    name,
                    unit_id: unit.id,
                    title,
                    office_phone: &format!("{}", 2_991_111 + i),
                    office_ext: &format!("{}", 8_100 + i),
                    mobile: "",
                    backup_email: &format!("{login}@example.net"),
                    official_email: &format!("{login}@mail.tainan.gov.tw"),
                    state: *state,
                    password_hash: with_pw.then_some(hash.as_str()),
                },
                now - Duration::days(30),
            )
            .await?;
            ids.insert(*login, id);
        }
        let id = |l: &str| {
            ids.get(l)
                .copied()
                .ok_or_else(|| portico_core::Error::internal("demo id"))
        };
        let agency = |k: &str| {
            by_name
                .get(k)
                .map(|u| u.id)
                .ok_or_else(|| portico_core::Error::internal("demo agency"))
        };
        roles::grant(
            &mut tx,
            &SEED.grant(id("admin")?, RoleKind::SystemAdmin, None, id("admin")?),
            now,
        )
        .await?;
        for (l, a) in [
            ("civil_admin", "民政局"),
            ("edu_admin", "教育局"),
            ("anping_admin", "臺南市安平區公所"),
            ("admin", "智慧發展中心"),
            ("stat_mgr", "主計處"),
        ] {
            roles::grant(
                &mut tx,
                &SEED.grant(
                    id(l)?,
                    RoleKind::AgencyAdmin,
                    Some(agency(a)?),
                    id("admin")?,
                ),
                now,
            )
            .await?;
        }
        roles::grant(
            &mut tx,
            &SEED.grant(
                id("unit_admin")?,
                RoleKind::UnitAdmin,
                Some(civil_admin_unit.id),
                id("admin")?,
            ),
            now,
        )
        .await?;
        // The password of "expiring" was set 85 days ago: 5 days are left.
        adjust_special_accounts(&mut tx, id("expiring")?, id("locked_user")?, now).await?;

        // The crowd.
        let mut pending_made = 0;
        for i in 0..accounts_wanted.saturating_sub(named.len()) {
            let (sur, rom) = *rng.pick(SURNAMES);
            let name = format!("{sur}{}", rng.pick(GIVEN));
            let login = format!("{rom}{i:05}");
            let unit = &leaf_units[(rng.next() % leaf_units.len() as u64) as usize];
            let title = *rng.pick(TITLES);
            let state = match rng.below(100) {
                0 if pending_made < 40 => {
                    pending_made += 1;
                    AccountState::Pending
                }
                1 => AccountState::Approved,
                2..=4 => AccountState::Disabled,
                _ => AccountState::Active,
            };
            let nid = NationalId::with_check_digit('D', &format!("{}{:07}", 1 + rng.below(2), i))
                .map(|n| n.as_str().to_owned());
            let with_pw = matches!(state, AccountState::Active | AccountState::Disabled);
            accounts::insert(
                &mut tx,
                &NewAccount {
                    login: &login,
                    national_id: nid.as_deref(),
                    name: &name,
                    unit_id: unit.id,
                    title,
                    office_phone: &format!("{}", 2_000_000 + rng.below(8_000_000)),
                    office_ext: &format!("{}", 1000 + rng.below(9000)),
                    mobile: "",
                    backup_email: &format!("{login}@example.net"),
                    official_email: &format!("{login}@mail.tainan.gov.tw"),
                    state,
                    password_hash: with_pw.then_some(hash.as_str()),
                },
                now - Duration::days(rng.below(80) as i64),
            )
            .await?;
        }
        // The pending applications wait in their agencies' review queues.
        portico_store::requests::open_for_pending_accounts(&mut tx).await?;
        // A few more agency admins, so most agencies have someone to ask.
        let crowd_admins = portico_store::accounts::search(
            &mut tx,
            &portico_core::permission::Visible::everything(),
            &portico_store::accounts::Search {
                state: Some(AccountState::Active),
                ..Default::default()
            },
            now,
            1,
            200,
        )
        .await?;
        let tree_units = orgs::list_all(&mut tx).await?;
        for row in crowd_admins.items.iter().step_by(7) {
            let Some(a) = accounts::get(&mut tx, row.id).await? else {
                continue;
            };
            if let Some(ag) = a.agency_id
                && roles::count_active_agency_admins(&mut tx, ag).await? == 0
                && tree_units.iter().any(|u| u.id == ag)
            {
                roles::grant(
                    &mut tx,
                    &SEED.grant(a.id, RoleKind::AgencyAdmin, Some(ag), id("admin")?),
                    now,
                )
                .await?;
            }
        }
        let sdc = tree_units
            .iter()
            .find(|u| u.name == "智慧發展中心" && u.kind == OrgKind::Agency)
            .map(|u| u.id)
            .ok_or_else(|| crate::Error::internal("demo tree lacks 智慧發展中心"))?;
        seed_demo_apps(&mut tx, id("admin")?, sdc, now).await?;
        self.seed_demo_directory(&mut tx, now).await?;
        self.seed_demo_mailboxes(
            &mut tx,
            SEED,
            &mailboxes::People {
                clerk: id("clerk")?,
                staff: id("staff")?,
                reviewer: (id("civil_admin")?, "civil_admin", "林美玲"),
                applicant: id("expiring")?,
            },
            &hash,
            now,
        )
        .await?;
        self.seed_demo_access(
            &mut tx,
            &access::People {
                admin: id("admin")?,
                manager: id("stat_mgr")?,
                statistician: id("statistician")?,
                civil_admin: id("civil_admin")?,
            },
            now,
        )
        .await?;
        self.seed_demo_usage(&mut tx, now).await?;
        let mut e = event(&crate::Ctx::new("127.0.0.1", "portico demo"), "demo.seed");
        e.actor_login = "portico".into();
        e.target_kind = "system".into();
        e.target_label = "demo".into();
        e.detail = serde_json::json!({ "accounts": accounts_wanted, "units": tree_units.len() })
            .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        // Drawn after the commit: a draw is its own transaction.
        self.seed_demo_inspections().await?;
        self.seed_demo_review().await?;
        self.seed_demo_venues().await?;
        self.seed_demo_cars().await?;
        self.seed_demo_repairs().await?;
        self.seed_demo_announcements().await?;
        self.seed_demo_content().await?;
        Ok(true)
    }
}

impl App {
    /// A directory target as the city's would be set up, switched off: the
    /// demo has no domain controller to reach, and its connection test
    /// shows how a failure reads. (The test command writes to real ones.)
    async fn seed_demo_directory(
        &self,
        tx: &mut portico_store::Tx,
        now: time::OffsetDateTime,
    ) -> Result<()> {
        let Ok(master) = self.master() else {
            return Ok(());
        };
        let input = portico_core::directory::TargetInput {
            name: "臺南市政府 AD（示範，未連線）".into(),
            kind: "ad".into(),
            url: "ldaps://dc1.tainan.test:636".into(),
            bind_dn: "CN=portico-sync,OU=Service Accounts,DC=tainan,DC=test".into(),
            people_base: "OU=Portico,DC=tainan,DC=test".into(),
            mail_base: "OU=Mailboxes,DC=tainan,DC=test".into(),
            unit_ous: "on".into(),
            password_sync: "on".into(),
            ..Default::default()
        };
        let t = input.check()?;
        let sealed = master.seal(crate::directory::targets::SEAL, b"demo-not-a-real-password")?;
        portico_store::directory::insert(tx, SEED.system(), &t, &sealed, now).await?;
        Ok(())
    }
}

/// The two demo accounts whose state needs more than an insert: a password
/// set 85 days ago, and a lock that lasts 15 minutes from start-up.
async fn adjust_special_accounts(
    tx: &mut portico_store::Conn,
    expiring: AccountId,
    locked: AccountId,
    now: time::OffsetDateTime,
) -> Result<()> {
    let f = portico_core::account::Failures {
        count: 5,
        window_start: now,
        locked_until: Some(now + Duration::minutes(15)),
    };
    accounts::record_failure(tx, SEED.account(locked), &f, now).await?;
    accounts::backdate_password(tx, SEED.account(expiring), now - Duration::days(85)).await
}

impl App {
    /// The national ID of a demo account, for issuing it a test card.
    pub async fn demo_national_id(&self, login: &str) -> Result<Option<String>> {
        Ok(
            portico_store::accounts::find_by_login(&mut *self.db.read().await?, login)
                .await?
                .and_then(|a| a.national_id),
        )
    }
}
