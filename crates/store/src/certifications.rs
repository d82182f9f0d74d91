//! SQL for access-review campaigns (權限清查, 002 §六 (二)): the campaign,
//! the rights it found and each reviewer's decision.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms, unique_on};
use portico_core::Msg;
use portico_core::certification::{
    Decision, Holding, ItemKind, OnExpiry, Reviewer, ScopeKind, State, UNUSED_AFTER,
};
use portico_core::org::TreePath;
use portico_core::permission::{CampaignOwner, Certifier, Reviewing, RoleKind};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub scope_kind: ScopeKind,
    pub scope_id: i64,
    /// The agency, unit or application by name; 全市 for the city.
    pub scope_name: String,
    pub place_unit_id: Option<i64>,
    #[serde(skip)]
    pub place_path: Option<TreePath>,
    pub deadline: Date,
    pub on_expiry: OnExpiry,
    pub state: State,
    pub scheduled: bool,
    pub opened_by: Option<i64>,
    pub opened_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub reminded_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub total: i64,
    pub pending: i64,
    pub kept: i64,
    pub revoked: i64,
    pub flagged: i64,
}

impl Campaign {
    /// Decided items as a share of all, in whole percent.
    pub fn percent_done(&self) -> i64 {
        if self.total == 0 {
            100
        } else {
            (self.total - self.pending) * 100 / self.total
        }
    }
}

const COLS: &str = "c.id, c.name, c.scope_kind, c.scope_id, c.place_unit_id, pu.path AS place_path, \
     CASE c.scope_kind WHEN 'city' THEN '' WHEN 'app' THEN COALESCE(ap.name, '') ELSE COALESCE(pu.name, '') END AS scope_name, \
     c.deadline, c.on_expiry, c.state, c.scheduled, c.opened_by, ob.name AS opened_by_name, c.opened_at, \
     c.reminded_at, c.closed_at, \
     (SELECT COUNT(*) FROM certification_items x WHERE x.campaign_id = c.id) AS total, \
     (SELECT COUNT(*) FROM certification_items x WHERE x.campaign_id = c.id AND x.decision IS NULL) AS pending, \
     (SELECT COUNT(*) FROM certification_items x WHERE x.campaign_id = c.id AND x.decision = 'keep') AS kept, \
     (SELECT COUNT(*) FROM certification_items x WHERE x.campaign_id = c.id AND x.decision = 'revoke') AS revoked, \
     (SELECT COUNT(*) FROM certification_items x WHERE x.campaign_id = c.id AND x.decision = 'flag') AS flagged";
const FROM: &str = " FROM certifications c LEFT JOIN org_units pu ON pu.id = c.place_unit_id \
     LEFT JOIN apps ap ON ap.id = c.scope_id AND c.scope_kind = 'app' \
     LEFT JOIN accounts ob ON ob.id = c.opened_by";

fn from_row(r: &AnyRow) -> Result<Campaign> {
    let bad = |what: &str| portico_core::Error::internal(format!("bad campaign {what}"));
    Ok(Campaign {
        id: r.i64("id")?,
        name: r.text("name")?,
        scope_kind: ScopeKind::parse(&r.text("scope_kind")?).ok_or_else(|| bad("scope"))?,
        scope_id: r.i64("scope_id")?,
        scope_name: r.text("scope_name")?,
        place_unit_id: r.opt_i64("place_unit_id")?,
        place_path: r.opt_text("place_path")?.map(TreePath::from_stored),
        deadline: portico_core::time::parse_date(&r.text("deadline")?)
            .ok_or_else(|| bad("deadline"))?,
        on_expiry: OnExpiry::parse(&r.text("on_expiry")?).ok_or_else(|| bad("on_expiry"))?,
        state: State::parse(&r.text("state")?).ok_or_else(|| bad("state"))?,
        scheduled: r.flag("scheduled")?,
        opened_by: r.opt_i64("opened_by")?,
        opened_by_name: r.opt_text("opened_by_name")?,
        opened_at: at(r.i64("opened_at")?),
        reminded_at: r.opt_i64("reminded_at")?.map(at),
        closed_at: r.opt_i64("closed_at")?.map(at),
        total: r.i64("total")?,
        pending: r.i64("pending")?,
        kept: r.i64("kept")?,
        revoked: r.i64("revoked")?,
        flagged: r.i64("flagged")?,
    })
}

/// A campaign about to be opened.
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub scope_kind: ScopeKind,
    /// 0 for the city.
    pub scope_id: i64,
    pub place_unit_id: Option<i64>,
    pub deadline: Date,
    pub on_expiry: OnExpiry,
    pub scheduled: bool,
}

/// Opens a campaign. A second open campaign over the same scope is
/// refused by the unique index: two admins opening at once get one.
pub async fn insert(
    c: &mut Conn,
    who: &CampaignOwner,
    n: &NewCampaign<'_>,
    now: OffsetDateTime,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO certifications (name, scope_kind, scope_id, place_unit_id, deadline, on_expiry, \
         state, scheduled, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9) RETURNING id",
    )
    .bind(n.name)
    .bind(n.scope_kind.as_str())
    .bind(n.scope_id)
    .bind(n.place_unit_id)
    .bind(portico_core::time::date_str(n.deadline))
    .bind(n.on_expiry.as_str())
    .bind(i64::from(n.scheduled))
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await
    .map_err(unique_on(
        "scope",
        Msg::new(
            "這個範圍已有進行中的權限清查，請先完成它",
            "This scope already has an open access review; finish it first",
        ),
    ))?;
    r.i64("id")
}

/// The holder's agency and highest admin role, beside each right.
const HOLDER: &str = "COALESCE(au.agency_id, au.id) AS holder_agency, \
    (SELECT MAX(CASE r2.kind WHEN 'system_admin' THEN 3 WHEN 'agency_admin' THEN 2 \
    WHEN 'unit_admin' THEN 1 ELSE 0 END) FROM roles r2 WHERE r2.account_id = a.id) AS holder_rank";

/// Every right held in a scope: the accounts of a subtree (`under`), or
/// everyone's roles in one application (`app`). Accounts that hold
/// nothing any more (cancelled, rejected, still applying) are left out.
pub async fn holdings(
    c: &mut Conn,
    under: Option<&TreePath>,
    app: Option<i64>,
) -> Result<Vec<Holding>> {
    let parts: &[(&str, &str)] = &[
        (
            "admin_role",
            "SELECT r.account_id, r.id AS ref_id, r.kind AS code, COALESCE(su.name, '') AS name, \
             COALESCE(su.agency_id, su.id) AS place, a.last_sign_in_at, {HOLDER} \
             FROM roles r JOIN accounts a ON a.id = r.account_id JOIN org_units au ON au.id = a.unit_id \
             LEFT JOIN org_units su ON su.id = r.scope_unit_id WHERE 1 = 1",
        ),
        (
            "app_role",
            "SELECT h.account_id, r.id AS ref_id, r.code, ap.name || '／' || r.name AS name, \
             r.app_id AS place, a.last_sign_in_at, {HOLDER} \
             FROM account_roles h JOIN app_roles r ON r.id = h.role_id JOIN apps ap ON ap.id = r.app_id \
             JOIN accounts a ON a.id = h.account_id JOIN org_units au ON au.id = a.unit_id WHERE 1 = 1",
        ),
        (
            "membership",
            "SELECT h.account_id, o.id AS ref_id, '' AS code, o.name, o.unit_id AS place, a.last_sign_in_at, {HOLDER} \
             FROM account_orgs h JOIN access_orgs o ON o.id = h.org_id \
             JOIN accounts a ON a.id = h.account_id JOIN org_units au ON au.id = a.unit_id WHERE 1 = 1",
        ),
        (
            "category",
            "SELECT h.account_id, m.id AS ref_id, m.code, m.name, a.unit_id AS place, a.last_sign_in_at, {HOLDER} \
             FROM account_categories h JOIN member_categories m ON m.id = h.category_id \
             JOIN accounts a ON a.id = h.account_id JOIN org_units au ON au.id = a.unit_id WHERE 1 = 1",
        ),
        (
            "custodian",
            "SELECT m.custodian_id AS account_id, m.id AS ref_id, m.kind AS code, m.address AS name, \
             m.agency_id AS place, a.last_sign_in_at, {HOLDER} \
             FROM mailboxes m JOIN accounts a ON a.id = m.custodian_id JOIN org_units au ON au.id = a.unit_id \
             WHERE m.state IN ('active', 'disabled')",
        ),
    ];
    let mut out = Vec::new();
    for (kind, sql) in parts {
        if app.is_some() && *kind != "app_role" {
            continue;
        }
        let sql = sql.replace("{HOLDER}", HOLDER);
        let mut b = SqlBuf::new(&sql);
        b.push(" AND a.state IN ('active', 'disabled')");
        if let Some(root) = under {
            b.in_subtrees("au.path", std::slice::from_ref(root));
        }
        if let Some(app) = app {
            b.push(" AND r.app_id = ").i(app);
        }
        b.push(" ORDER BY 1, 2");
        let rows = b.query().fetch_all(&mut *c).await.map_err(db_err)?;
        let kind = ItemKind::parse(kind).expect("a kind named above");
        for r in &rows {
            out.push(Holding {
                account_id: r.i64("account_id")?,
                kind,
                ref_id: r.i64("ref_id")?,
                code: r.text("code")?,
                name: r.text("name")?,
                place: r.opt_i64("place")?,
                last_used_at: r.opt_i64("last_sign_in_at")?.map(at),
                holder_rank: match r.opt_i64("holder_rank")?.unwrap_or(0) {
                    3 => Some(RoleKind::SystemAdmin),
                    2 => Some(RoleKind::AgencyAdmin),
                    1 => Some(RoleKind::UnitAdmin),
                    _ => None,
                },
                holder_agency: r.opt_i64("holder_agency")?,
            });
        }
    }
    Ok(out)
}

/// Writes the campaign's items, each with its reviewer, a few hundred
/// rows a statement.
pub async fn insert_items(
    c: &mut Conn,
    _who: &CampaignOwner,
    campaign: i64,
    items: &[(Holding, Reviewer)],
) -> Result<()> {
    for chunk in items.chunks(200) {
        let mut b = SqlBuf::new(
            "INSERT INTO certification_items (campaign_id, account_id, kind, ref_id, code, name, \
             reviewer_kind, reviewer_id, last_used_at) VALUES ",
        );
        for (i, (h, r)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.push("(")
                .i(campaign)
                .push(", ")
                .i(h.account_id)
                .push(", ");
            b.t(h.kind.as_str()).push(", ").i(h.ref_id).push(", ");
            b.t(h.code.clone()).push(", ").t(h.name.clone()).push(", ");
            b.t(r.kind_str()).push(", ");
            match r.id() {
                Some(id) => b.i(id),
                None => b.push("NULL"),
            };
            b.push(", ");
            match h.last_used_at {
                Some(t) => b.i(ms(t)),
                None => b.push("NULL"),
            };
            b.push(")");
        }
        b.query().execute(&mut *c).await.map_err(db_err)?;
    }
    Ok(())
}

pub async fn get(c: &mut Conn, id: i64) -> Result<Option<Campaign>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE c.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(from_row).transpose()
}

/// `x` (an item) is on the list of whoever `r` describes; `ru` is the
/// reviewing unit joined to it. Never the person's own rights.
fn on_list(b: &mut SqlBuf, r: &Reviewing) {
    b.push(" AND x.account_id <> ").i(r.me().0);
    if r.all() {
        return;
    }
    b.push(" AND ((x.reviewer_kind = 'person' AND x.reviewer_id = ")
        .i(r.me().0)
        .push(")");
    if !r.apps().is_empty() {
        b.push(" OR (x.reviewer_kind = 'app' AND x.reviewer_id IN (");
        for (i, a) in r.apps().iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.i(*a);
        }
        b.push("))");
    }
    if !r.unit_roots().is_empty() {
        b.push(" OR (x.reviewer_kind = 'unit'");
        b.in_subtrees("ru.path", r.unit_roots());
        b.push(")");
    }
    if !r.agency_roots().is_empty() {
        b.push(" OR (x.reviewer_kind = 'agency'");
        b.in_subtrees("ru.path", r.agency_roots());
        b.push(")");
    }
    b.push(")");
}

const REVIEWING_UNIT: &str =
    " LEFT JOIN org_units ru ON ru.id = x.reviewer_id AND x.reviewer_kind IN ('unit', 'agency')";

/// The campaigns a person sees: those they own (their rank reaches the
/// place: `owned` holds the subtrees where they are agency admin or above,
/// `None` for a system admin) and those with an item on their list.
pub async fn list(
    c: &mut Conn,
    owned: Option<&[TreePath]>,
    r: &Reviewing,
    page: u32,
    per_page: u32,
) -> Result<Page<(Campaign, i64)>> {
    let filter = |b: &mut SqlBuf| {
        b.push(" WHERE (");
        match owned {
            None => {
                b.push("1 = 1");
            }
            Some(roots) => {
                b.push("(c.place_unit_id IS NOT NULL");
                b.in_subtrees("pu.path", roots);
                b.push(") OR EXISTS (SELECT 1 FROM certification_items x")
                    .push(REVIEWING_UNIT)
                    .push(" WHERE x.campaign_id = c.id");
                on_list(b, r);
                b.push(")");
            }
        }
        b.push(")");
    };
    let mut count = SqlBuf::new(&format!("SELECT COUNT(*) AS n{FROM}"));
    filter(&mut count);
    let total = count
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    // Each campaign with the items waiting on this person's list.
    let mut q = SqlBuf::new(&format!(
        "SELECT {COLS}, (SELECT COUNT(*) FROM certification_items x{REVIEWING_UNIT} \
         WHERE x.campaign_id = c.id AND x.decision IS NULL"
    ));
    on_list(&mut q, r);
    q.push(&format!(") AS mine{FROM}"));
    filter(&mut q);
    q.push(" ORDER BY c.state DESC, c.opened_at DESC, c.id DESC LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let items = rows
        .iter()
        .map(|row| Ok((from_row(row)?, row.i64("mine")?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}

/// One item with what its reviewer sees.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub campaign_id: i64,
    pub account_id: i64,
    pub login: String,
    pub account_name: String,
    pub account_state: String,
    pub unit_name: String,
    pub kind: ItemKind,
    pub ref_id: i64,
    pub code: String,
    pub name: String,
    pub reviewer: Reviewer,
    /// The unit, agency, application or person reviewing, by name.
    pub reviewer_name: String,
    #[serde(skip)]
    pub reviewer_path: Option<TreePath>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// Sign-in methods bound: authenticator app, passkeys, certificates.
    pub totp: bool,
    pub passkeys: i64,
    pub certificates: i64,
    pub decision: Option<Decision>,
    pub note: String,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub handed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub handed_at: Option<OffsetDateTime>,
}

const ITEM_COLS: &str = "x.id, x.campaign_id, x.account_id, a.login, a.name AS account_name, \
     a.state AS account_state, au.name AS unit_name, x.kind, x.ref_id, x.code, x.name, \
     x.reviewer_kind, x.reviewer_id, ru.path AS reviewer_path, \
     CASE x.reviewer_kind WHEN 'app' THEN (SELECT name FROM apps WHERE id = x.reviewer_id) \
       WHEN 'person' THEN (SELECT name FROM accounts WHERE id = x.reviewer_id) \
       WHEN 'system' THEN '' ELSE ru.name END AS reviewer_name, \
     x.last_used_at, \
     (SELECT COUNT(*) FROM account_totp t WHERE t.account_id = x.account_id AND t.confirmed_at IS NOT NULL) AS totp, \
     (SELECT COUNT(*) FROM passkeys p WHERE p.account_id = x.account_id) AS passkeys, \
     (SELECT COUNT(*) FROM account_certs k WHERE k.account_id = x.account_id) AS certs, \
     x.decision, x.note, x.decided_by, db.name AS decided_by_name, x.decided_at, \
     hb.name AS handed_by_name, x.handed_at";

fn item_from() -> String {
    format!(
        " FROM certification_items x JOIN accounts a ON a.id = x.account_id \
         JOIN org_units au ON au.id = a.unit_id{REVIEWING_UNIT} \
         LEFT JOIN accounts db ON db.id = x.decided_by LEFT JOIN accounts hb ON hb.id = x.handed_by"
    )
}

fn item_row(r: &AnyRow) -> Result<Item> {
    let bad = |what: &str| portico_core::Error::internal(format!("bad review item {what}"));
    Ok(Item {
        id: r.i64("id")?,
        campaign_id: r.i64("campaign_id")?,
        account_id: r.i64("account_id")?,
        login: r.text("login")?,
        account_name: r.text("account_name")?,
        account_state: r.text("account_state")?,
        unit_name: r.text("unit_name")?,
        kind: ItemKind::parse(&r.text("kind")?).ok_or_else(|| bad("kind"))?,
        ref_id: r.i64("ref_id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        reviewer: Reviewer::from_parts(&r.text("reviewer_kind")?, r.opt_i64("reviewer_id")?)
            .ok_or_else(|| bad("reviewer"))?,
        reviewer_name: r.opt_text("reviewer_name")?.unwrap_or_default(),
        reviewer_path: r.opt_text("reviewer_path")?.map(TreePath::from_stored),
        last_used_at: r.opt_i64("last_used_at")?.map(at),
        totp: r.i64("totp")? > 0,
        passkeys: r.i64("passkeys")?,
        certificates: r.i64("certs")?,
        decision: r
            .opt_text("decision")?
            .map(|d| Decision::parse(&d).ok_or_else(|| bad("decision")))
            .transpose()?,
        note: r.text("note")?,
        decided_by: r.opt_i64("decided_by")?,
        decided_by_name: r.opt_text("decided_by_name")?,
        decided_at: r.opt_i64("decided_at")?.map(at),
        handed_by_name: r.opt_text("handed_by_name")?,
        handed_at: r.opt_i64("handed_at")?.map(at),
    })
}

/// Which of a campaign's items to list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter<'a> {
    /// A reviewer's list; `None`: every item (the campaign's owner).
    pub reviewing: Option<&'a Reviewing>,
    /// `Some(true)`: undecided only; `Some(false)`: decided only.
    pub pending: Option<bool>,
    pub kind: Option<ItemKind>,
    /// Part of a login or name.
    pub q: Option<&'a str>,
}

/// A campaign's items, those unused for six months first (002 §六 (二)),
/// then by person.
pub async fn items(
    c: &mut Conn,
    campaign: i64,
    f: &ItemFilter<'_>,
    now: OffsetDateTime,
    page: u32,
    per_page: u32,
) -> Result<Page<Item>> {
    let filter = |w: &mut SqlBuf| {
        w.push(" WHERE x.campaign_id = ").i(campaign);
        if let Some(r) = f.reviewing {
            on_list(w, r);
        }
        match f.pending {
            Some(true) => {
                w.push(" AND x.decision IS NULL");
            }
            Some(false) => {
                w.push(" AND x.decision IS NOT NULL");
            }
            None => {}
        }
        if let Some(k) = f.kind {
            w.push(" AND x.kind = ").t(k.as_str());
        }
        if let Some(q) = f.q.map(str::trim).filter(|q| !q.is_empty()) {
            let like = format!("%{}%", q.replace(['%', '_'], ""));
            w.push(" AND (a.login LIKE ")
                .t(like.clone())
                .push(" OR a.name LIKE ")
                .t(like)
                .push(")");
        }
    };
    let from = item_from();
    let mut count = SqlBuf::new(&format!("SELECT COUNT(*) AS n{from}"));
    filter(&mut count);
    let total = count
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = SqlBuf::new(&format!("SELECT {ITEM_COLS}{from}"));
    filter(&mut q);
    q.push(" ORDER BY CASE WHEN x.last_used_at IS NULL OR x.last_used_at <= ")
        .i(ms(now - UNUSED_AFTER))
        .push(" THEN 0 ELSE 1 END, a.name, a.login, x.kind, x.id");
    q.page(page, per_page);
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    Ok(Page {
        items: rows.iter().map(item_row).collect::<Result<_>>()?,
        total,
        page: page.max(1),
        per_page,
    })
}

pub async fn item(c: &mut Conn, campaign: i64, id: i64) -> Result<Option<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLS}{} WHERE x.campaign_id = $1 AND x.id = $2",
        item_from()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(campaign)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(item_row).transpose()
}

/// Writes a decision, if the item is still undecided, its campaign open,
/// and it is the person the proof covers — never the decider's own. Two
/// reviewers deciding at once: one wins, the other is told.
pub async fn decide(
    c: &mut Conn,
    who: &Certifier,
    item: i64,
    decision: Decision,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE certification_items SET decision = $1, note = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $5 AND account_id = $6 AND decision IS NULL AND account_id <> COALESCE($3, 0) \
         AND campaign_id IN (SELECT id FROM certifications WHERE state = 'open')",
    )
    .bind(decision.as_str())
    .bind(note)
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .bind(item)
    .bind(who.account().0)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Hands an undecided item to another reviewer.
pub async fn hand_on(
    c: &mut Conn,
    who: &Certifier,
    item: i64,
    to: i64,
    note: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE certification_items SET reviewer_kind = 'person', reviewer_id = $1, handed_by = $2, handed_at = $3, note = $6 \
         WHERE id = $4 AND account_id = $5 AND decision IS NULL AND account_id <> $1 \
         AND campaign_id IN (SELECT id FROM certifications WHERE state = 'open')",
    )
    .bind(to)
    .bind(who.by().map(|a| a.0))
    .bind(ms(now))
    .bind(item)
    .bind(who.account().0)
    .bind(note)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Who still has items waiting in a campaign, and how many.
pub async fn waiting_reviewers(c: &mut Conn, campaign: i64) -> Result<Vec<(Reviewer, i64)>> {
    let rows = sqlx::query(
        "SELECT reviewer_kind, reviewer_id, COUNT(*) AS n FROM certification_items \
         WHERE campaign_id = $1 AND decision IS NULL GROUP BY reviewer_kind, reviewer_id ORDER BY 1, 2",
    )
    .bind(campaign)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let who = Reviewer::from_parts(&r.text("reviewer_kind")?, r.opt_i64("reviewer_id")?)
                .ok_or_else(|| portico_core::Error::internal("bad reviewer"))?;
            Ok((who, r.i64("n")?))
        })
        .collect()
}

/// Open campaigns, for the schedule: those past their deadline and those
/// due a reminder are picked from these.
pub async fn open(c: &mut Conn) -> Result<Vec<Campaign>> {
    let sql = format!("SELECT {COLS}{FROM} WHERE c.state = 'open' ORDER BY c.id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(from_row).collect()
}

/// Notes that a campaign's reviewers were reminded.
pub async fn set_reminded(c: &mut Conn, campaign: i64, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE certifications SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND state = 'open'",
    )
    .bind(ms(now))
    .bind(campaign)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// Closes a campaign once; the second of two closings is told it lost.
pub async fn close(c: &mut Conn, campaign: i64, now: OffsetDateTime) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE certifications SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'open'",
    )
    .bind(ms(now))
    .bind(campaign)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected() == 1)
}

/// When a campaign covering an agency (its own, or the city's) last
/// opened, or, before its first, when the agency was made: what the
/// six-monthly schedule counts from (a new installation is not due on
/// its first day).
pub async fn last_covering(c: &mut Conn, agency: i64) -> Result<Option<OffsetDateTime>> {
    let r = sqlx::query(
        "SELECT COALESCE((SELECT MAX(opened_at) FROM certifications WHERE scope_kind = 'city' \
         OR (scope_kind = 'agency' AND scope_id = $1)), \
         (SELECT created_at FROM org_units WHERE id = $1)) AS t",
    )
    .bind(agency)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(r.opt_i64("t")?.map(at))
}
