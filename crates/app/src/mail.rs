//! What Portico writes to people: every mail and SMS, Traditional Chinese
//! first and English below it.
use portico_core::Msg;
use portico_core::request::{Decision, RequestKind};
use portico_core::verify::Purpose;

/// A message's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    pub body: String,
}

const SIGNATURE: &str = "臺南市政府公務入口網 Tainan City Government staff portal\n（本信件由系統自動發送，請勿直接回覆。This message was sent automatically; please do not reply.）";

pub(crate) fn text(subject_zh: &str, subject_en: &str, zh: &str, en: &str) -> Text {
    Text {
        subject: format!("【臺南市政府公務入口網】{subject_zh} / {subject_en}"),
        body: format!("{zh}\n\n{en}\n\n--\n{SIGNATURE}\n"),
    }
}

/// A one-time code. The code is on a line of its own, easy to copy.
pub fn code(purpose: Purpose, code: &str, minutes: i64) -> Text {
    let what = purpose.label();
    text(
        &format!("{}驗證碼", what.zh),
        &format!("your code for {}", what.en),
        &format!(
            "您的{}驗證碼為：\n\n    {code}\n\n驗證碼於 {minutes} 分鐘內有效，且只能使用一次。若您並未進行此操作，請忽略本信件。",
            what.zh
        ),
        &format!(
            "Your code for {} is:\n\n    {code}\n\nIt is valid for {minutes} minutes and can be used once. If you did not ask for it, ignore this message.",
            what.en
        ),
    )
}

/// A temporary password (臨時密碼, 004 §第一節 四).
pub fn temp_password(login: &str, code: &str, minutes: i64) -> Text {
    text(
        "臨時密碼",
        "temporary password",
        &format!(
            "帳號 {login} 的臨時密碼為：\n\n    {code}\n\n請於 {minutes} 分鐘內在登入頁「臨時密碼」輸入，且只能使用一次。若您並未申請，請忽略本信件；您的密碼並未改變。"
        ),
        &format!(
            "The temporary password for {login} is:\n\n    {code}\n\nEnter it under \"Temporary password\" on the sign-in page within {minutes} minutes; it works once. If you did not ask for it, ignore this message; your password has not changed."
        ),
    )
}

/// The same code, short enough for one SMS.
pub fn code_sms(purpose: Purpose, code: &str, minutes: i64) -> Text {
    Text {
        subject: String::new(),
        body: format!(
            "臺南市政府公務入口網{}驗證碼：{code}，{minutes}分鐘內有效。",
            purpose.label().zh
        ),
    }
}

/// An address that was bound to an account before cannot apply again; it
/// is told so by mail, not on the page, so the page reveals nothing.
pub fn address_already_bound() -> Text {
    text(
        "此信箱無法用於申請帳號",
        "this address cannot be used to apply",
        "您剛才以此電子郵件申請公務帳號。此信箱已綁定過公務帳號，依規定不可再用於申請。\n若您已有帳號，請使用「忘記密碼」或「個人帳號復用」；若需協助，請洽所屬機關管理者。",
        "Somebody used this address to apply for an official account. It has been bound to an account before and cannot be used again.\nIf you have an account, use 'Forgot password' or 'Reinstate my account'; for help, contact your agency administrator.",
    )
}

/// Somebody asked to change an application with an address that has none.
pub fn no_application_found() -> Text {
    text(
        "查無待審核的申請",
        "no application found",
        "您剛才要求修改帳號申請內容，但此電子郵件沒有待審核或被退回的申請。若您尚未申請，請使用「個人帳號申請」。",
        "Somebody asked to change an account application, but this address has no application waiting for review or rejected.\nTo apply, use 'Apply for an account'.",
    )
}

pub fn application_received(name: &str, login: &str, unit: &str) -> Text {
    text(
        "已收到您的帳號申請",
        "your application was received",
        &format!(
            "{name} 您好：\n\n已收到您的個人公務帳號申請（帳號：{login}，單位：{unit}）。申請將由機關管理者審核，審核通過後會再通知您，屆時請使用「開通帳號」設定密碼。\n審核前如需修改，請使用「修改個人帳號申請內容」。"
        ),
        &format!(
            "Dear {name},\n\nWe received your application for an official account (login: {login}, unit: {unit}). Your agency administrator will review it and you will be told the result; then activate the account and set a password.\nTo change the application before the review, use 'Modify my application'."
        ),
    )
}

/// A reinstatement, agency change or admin-rights request was received.
/// A request's name as a noun: 「帳號復用申請」, but 「機關管理者申請」 not
/// 「機關管理者申請申請」.
fn request_named(label: &str) -> String {
    if label.ends_with("申請") {
        label.to_owned()
    } else {
        format!("{label}申請")
    }
}

pub fn request_received(kind: RequestKind, name: &str, login: &str, unit: &str) -> Text {
    let k = kind.label();
    let (zh_more, en_more) = match kind {
        RequestKind::AgencyChange => (
            "\n審核期間帳號暫停使用；審核通過後即可於新單位登入，若未通過則回復原單位與原狀態。",
            "\nThe account is suspended during the review; once approved you sign in with the new unit, otherwise it returns to its old unit and state.",
        ),
        RequestKind::Reinstate => (
            "\n審核通過後請使用「開通帳號」重新設定密碼。",
            "\nOnce approved, use 'Activate my account' to set a password again.",
        ),
        _ => ("", ""),
    };
    let what = request_named(&k.zh);
    text(
        &format!("已收到您的{what}"),
        &format!("your {} request was received", k.en.to_lowercase()),
        &format!(
            "{name} 您好：\n\n已收到您的「{what}」（帳號：{login}，單位：{unit}），將由機關管理者審核，結果會再通知您。{zh_more}"
        ),
        &format!(
            "Dear {name},\n\nWe received your request ({}, login {login}, unit {unit}). An agency administrator will review it and you will be told the result.{en_more}",
            k.en.to_lowercase()
        ),
    )
}

/// The reviewer's decision, with what to do next.
pub fn decision(
    kind: RequestKind,
    d: Decision,
    login: &str,
    note: &str,
    mailbox: Option<&(bool, String)>,
) -> Text {
    let k = kind.label();
    let (zh_result, en_result) = match d {
        Decision::Approve => ("審核通過", "approved"),
        Decision::Reject => ("未通過（退回）", "not approved"),
    };
    let (zh_next, en_next) = match (kind, d) {
        (RequestKind::NewAccount | RequestKind::Reinstate, Decision::Approve) => (
            "請至公務入口網「開通帳號」驗證身分並設定密碼後即可登入。",
            "Go to 'Activate my account' on the portal, verify yourself and set a password; then sign in.",
        ),
        (RequestKind::NewAccount, Decision::Reject) => (
            "您可至「修改個人帳號申請內容」修正後重新送出。",
            "You may correct the application under 'Modify my application' and submit it again.",
        ),
        (RequestKind::AgencyChange, Decision::Approve) => (
            "您的帳號已移至新單位並恢復啟用，請重新登入。",
            "Your account is in the new unit and active again; sign in.",
        ),
        (RequestKind::AgencyChange, Decision::Reject) => (
            "您的帳號已回到原單位與原狀態。",
            "Your account is back in its old unit and state.",
        ),
        (RequestKind::AdminRights, Decision::Approve) => (
            "下一次登入時，您的帳號權限即為機關管理者。",
            "From your next sign-in, your account has agency administrator rights.",
        ),
        (RequestKind::Cancel, Decision::Approve) => (
            "您的帳號已註銷，無法再登入；帳號紀錄與申請書依規定保存。",
            "Your account is cancelled and signs in nowhere; its records and forms are kept as the rules require.",
        ),
        (RequestKind::Mailbox, Decision::Approve) => (
            "郵件帳號已開通，您是它的保管人。請使用申請時設定的密碼，從「機關及系統郵件帳號登入專區」登入郵件系統；密碼與狀態可在「我的機關及系統郵件帳號管理」管理。",
            "The mail account is open and you are its custodian. Sign in to the mail system with the password you chose, from 'Agency and system mail sign-in'; manage its password and state under 'My agency and system mail accounts'.",
        ),
        _ => (
            "如有疑問請洽所屬機關管理者。",
            "Ask your agency administrator if anything is unclear.",
        ),
    };
    let mut note_zh = if note.is_empty() {
        String::new()
    } else {
        format!("\n審核說明：{note}")
    };
    let mut note_en = if note.is_empty() {
        String::new()
    } else {
        format!("\nReviewer's note: {note}")
    };
    match mailbox {
        Some((_, address)) if kind == RequestKind::Mailbox => {
            note_zh.push_str(&format!("\n郵件帳號：{address}"));
            note_en.push_str(&format!("\nMail account: {address}"));
        }
        Some((true, address)) => {
            note_zh.push_str(&format!("\n公務郵件：已核可（{address}）"));
            note_en.push_str(&format!("\nOfficial mailbox: granted ({address})"));
        }
        Some((false, _)) => {
            note_zh.push_str("\n公務郵件：未核可");
            note_en.push_str("\nOfficial mailbox: not granted");
        }
        None => {}
    }
    text(
        &format!("{}{}", k.zh, zh_result),
        &format!("{} {}", k.en.to_lowercase(), en_result),
        &format!(
            "您的「{}」（帳號：{login}）{zh_result}。{note_zh}\n\n{zh_next}",
            request_named(&k.zh)
        ),
        &format!(
            "Your request ({}, login {login}) was {en_result}.{note_en}\n\n{en_next}",
            k.en.to_lowercase()
        ),
    )
}

/// A contact detail used for verification changed: the old address hears
/// of it.
pub fn contact_changed(login: &str, what: &str) -> Text {
    let (zh, en) = match what {
        "backup_email" => ("備用信箱", "backup e-mail"),
        _ => ("手機號碼", "mobile number"),
    };
    text(
        &format!("{zh}已變更"),
        &format!("your {en} changed"),
        &format!(
            "您的帳號 {login} 的{zh}已變更（新增、更換或解除），驗證碼將寄送至新的{zh}。\n若這不是您本人的操作，請立即聯絡所屬機關管理者。"
        ),
        &format!(
            "The {en} of your account {login} was changed (added, replaced or removed); codes now go to the new one.\nIf this was not you, contact your agency administrator at once."
        ),
    )
}

/// The idle sweep could not disable an account: it is its agency's only
/// administrator, or keeps mail accounts; `why` says which, in words.
pub fn idle_kept(name: &str, login: &str, days: u32, why: &Msg) -> Text {
    text(
        "閒置帳號未停用：須先移交",
        "an idle account was kept: hand over first",
        &format!(
            "{name}（{login}）已超過 {days} 天未使用，依規定應停用，但因下列原因暫不停用：\n{}\n完成移交後，下一次閒置檢查即會停用此帳號。",
            why.zh
        ),
        &format!(
            "{name} ({login}) has not been used for over {days} days and should be disabled, but was kept:\n{}\nOnce handed over, the next idle check disables it.",
            why.en
        ),
    )
}

/// A mail account changed hands: both custodians hear of it.
pub fn mailbox_handed_over(to_name: &str, address: &str, from: &str, to: &str) -> Text {
    text(
        "郵件帳號保管人異動",
        "a mail account changed custodian",
        &format!(
            "{to_name} 您好：\n\n郵件帳號 {address} 的保管人已由 {from} 移轉給 {to}。新保管人可於「我的機關及系統郵件帳號管理」管理其密碼與狀態。"
        ),
        &format!(
            "Dear {to_name},\n\nThe mail account {address} was handed from {from} to {to}. The new custodian manages its password and state under 'My agency and system mail accounts'."
        ),
    )
}

/// The password was set (activation) or reset: if it was not the owner,
/// they learn it at once.
/// 忘記帳號: the logins bound to this backup e-mail, with their states.
pub fn login_reminder(logins: &[(String, Msg)]) -> Text {
    let zh: Vec<String> = logins
        .iter()
        .map(|(l, st)| format!("    {l}（{}）", st.zh))
        .collect();
    let en: Vec<String> = logins
        .iter()
        .map(|(l, st)| format!("    {l} ({})", st.en))
        .collect();
    text(
        "帳號查詢",
        "your login name",
        &format!(
            "以此備用信箱綁定的公務帳號：\n\n{}\n\n請以此帳號登入；若忘記密碼，請使用登入頁的「忘記密碼」。若您並未查詢，請忽略本信件。",
            zh.join("\n")
        ),
        &format!(
            "The staff accounts bound to this backup e-mail:\n\n{}\n\nSign in with it; if you have forgotten the password, use \"Forgot password\" on the sign-in page. If you did not ask, ignore this message.",
            en.join("\n")
        ),
    )
}

pub fn password_set(login: &str, activation: bool) -> Text {
    let (subject, zh, en) = if activation {
        ("帳號已開通", "已開通", "account activated")
    } else {
        ("密碼已重設", "的密碼已重設", "password reset")
    };
    text(
        subject,
        en,
        &format!(
            "您的帳號 {login} {zh}，現在可以使用新密碼登入。\n若這不是您本人的操作，請立即聯絡所屬機關管理者。"
        ),
        &format!(
            "Your account {login}: {en}. You can sign in with the new password now.\nIf this was not you, contact your agency administrator at once."
        ),
    )
}

/// The client secret was generated or rotated (`note` empty) by its owner,
/// or revoked by a system admin (with the reason).
pub fn secret_changed(app: &str, by: &str, note: &str, at: String) -> Text {
    if note.is_empty() {
        text(
            &format!("應用系統「{app}」的用戶端密鑰已重新產生"),
            &format!("The client secret of {app} was generated"),
            &format!(
                "您好：\n\n應用系統「{app}」的用戶端密鑰已於 {at} 由 {by} 產生，先前的密鑰已失效。\n若非您本人所為，請立即洽系統管理者。"
            ),
            &format!(
                "Hello,\n\nThe client secret of the application {app} was generated by {by} at {at}; the previous one no longer works.\nIf this was not you, contact the system administrators at once."
            ),
        )
    } else {
        text(
            &format!("應用系統「{app}」的用戶端密鑰已被撤銷"),
            &format!("The client secret of {app} was revoked"),
            &format!(
                "您好：\n\n系統管理者 {by} 已於 {at} 撤銷應用系統「{app}」的用戶端密鑰，原因：{note}\n應用系統須由申請人登入公務入口網「應用系統服務介接申請」重新產生密鑰後才能再取得權杖。"
            ),
            &format!(
                "Hello,\n\nThe system administrator {by} revoked the client secret of the application {app} at {at}. Reason: {note}\nThe application gets no tokens until its owner generates a new secret under 'Application integration' on the portal."
            ),
        )
    }
}

/// A system admin decided an application for an integration service.
pub fn service_decision(
    app: &str,
    service: &portico_core::Msg,
    approved: bool,
    note: &str,
) -> Text {
    let (zh_result, en_result) = if approved {
        ("審核通過", "approved")
    } else {
        ("未通過（退回）", "not approved")
    };
    let (zh_next, en_next) = if approved {
        (
            "請至公務入口網「應用系統服務介接申請」查看用戶端識別碼，並產生用戶端密鑰（僅顯示一次）。",
            "Open 'Application integration' on the portal for the client id, and generate the client secret (shown once).",
        )
    } else {
        (
            "您可依審核說明修正後重新申請。",
            "You may apply again after following the reviewer's note.",
        )
    };
    let note_zh = if note.is_empty() {
        String::new()
    } else {
        format!("\n審核說明：{note}")
    };
    let note_en = if note.is_empty() {
        String::new()
    } else {
        format!("\nReviewer's note: {note}")
    };
    text(
        &format!("應用系統「{app}」的{}服務申請{zh_result}", service.zh),
        &format!("{} for application {app} {en_result}", service.en),
        &format!(
            "您好：\n\n應用系統「{app}」申請的「{}」服務{zh_result}。{note_zh}\n{zh_next}",
            service.zh
        ),
        &format!(
            "Hello,\n\nThe {} service requested for the application {app} was {en_result}.{note_en}\n{en_next}",
            service.en
        ),
    )
}

/// An access form was signed off (seed 000): 同意 or 不同意, with the
/// approver's note and what follows.
pub fn form_decided(f: &portico_store::access::Form, approve: bool, note: &str) -> Text {
    let what = f.step.queue_title();
    let (zh_result, en_result) = if approve {
        ("已同意", "approved")
    } else {
        ("未同意", "declined")
    };
    let (zh_next, en_next) = match (approve, f.step) {
        (true, portico_core::access::Step::Category) => (
            "您現在可以至「個人組織維護」申請加入組織。",
            "You may now ask to join an organisation under 'My organisations'.",
        ),
        (true, portico_core::access::Step::Org) => (
            "您現在可以至「應用系統角色維護」申請應用系統角色。",
            "You may now ask for application roles under 'My application roles'.",
        ),
        (true, portico_core::access::Step::Role) => (
            "下一次登入該應用系統時即生效。",
            "It takes effect the next time you sign in to the application.",
        ),
        (false, _) => (
            "您可依簽核備註修正後重新申請。",
            "You may correct what the note says and ask again.",
        ),
    };
    let note_zh = if note.is_empty() {
        String::new()
    } else {
        format!("\n簽核備註：{note}")
    };
    let note_en = if note.is_empty() {
        String::new()
    } else {
        format!("\nApprover's note: {note}")
    };
    text(
        &format!("{}{zh_result}（{}）", what.zh, f.number),
        &format!("{} {en_result} ({})", what.en, f.number),
        &format!(
            "您的「{}」（申請單號 {}，帳號 {}）{zh_result}。{note_zh}\n\n{zh_next}",
            what.zh, f.number, f.applicant.login
        ),
        &format!(
            "Your form ({}, no. {}, login {}) was {en_result}.{note_en}\n\n{en_next}",
            what.en.to_lowercase(),
            f.number,
            f.applicant.login
        ),
    )
}

/// An inspection's sample is drawn (§七 (一) 1, 2): the auditor's work
/// waits, due by the end of the month the rules name.
pub fn inspection_drawn(i: &portico_store::inspections::Inspection) -> Text {
    let (p, due) = (i.period.label(), i.period.due());
    let what = i.kind.label();
    text(
        &format!("{}{} {}抽樣完成", p.zh, i.unit_name, what.zh),
        &format!("{} sample drawn for {} ({})", what.en, i.unit_name, p.en),
        &format!(
            "{} {}的{}已完成抽樣，共抽出 {} 筆使用紀錄（母體 {} 筆、{} 人）。請於 {} 前登入公務入口網「稽核作業」逐筆標記正常或異常並簽核。",
            p.zh,
            i.unit_name,
            what.zh,
            i.sampled,
            i.population,
            i.people,
            portico_core::time::date_str(due)
        ),
        &format!(
            "The {} of {} for {} is drawn: {} usage records sampled (of {} records by {} people). Sign in to the portal's Inspections page by {} to mark each normal or abnormal and sign off.",
            what.en.to_lowercase(),
            i.unit_name,
            p.en,
            i.sampled,
            i.population,
            i.people,
            portico_core::time::date_str(due)
        ),
    )
}

/// A sampled record was marked 異常 (§七 (一) 3): the agency's admins and
/// its ethics unit hear of it.
pub fn finding_opened(
    i: &portico_store::inspections::Inspection,
    item: &portico_store::inspections::Item,
    note: &str,
) -> Text {
    let p = i.period.label();
    let when = portico_core::time::display(item.used_at);
    text(
        &format!("稽核發現異常使用：{} {}", i.unit_name, item.name),
        &format!("Abnormal use found: {} {}", i.unit_name, item.login),
        &format!(
            "{} {}的稽核發現一筆異常使用紀錄：\n\n使用者：{}（{}）\n使用時間：{when}\n稽核說明：{note}\n\n依規定，異常使用應提報機關首長依規定議懲處並通報政風單位。處理後請至「稽核作業」的異常事項結案。",
            p.zh, i.unit_name, item.name, item.login
        ),
        &format!(
            "The audit of {} for {} found an abnormal usage record:\n\nPerson: {} ({})\nUsed at: {when}\nAuditor's note: {note}\n\nThe rules ask that it be reported to the head of agency and the ethics unit. Close the finding on the Inspections page once handled.",
            i.unit_name, p.en, item.name, item.login
        ),
    )
}

/// An inspection not yet signed off, near its due date; or an agency's
/// records not yet sent on before the end of February or August.
pub fn inspection_reminder(i: &portico_store::inspections::Inspection, send_on: bool) -> Text {
    let p = i.period.label();
    if send_on {
        let by = portico_core::time::date_str(i.period.send_by());
        return text(
            &format!("請於 {by} 前函送{}稽核紀錄", p.zh),
            &format!("Send the {} audit records on by {by}", p.en),
            &format!(
                "依規定，{}的單位及機關稽核紀錄表等資料影本，應於 {by} 前函送備查。{}尚未登記函送；函送後請至「稽核作業」登記。",
                p.zh, i.unit_name
            ),
            &format!(
                "The rules ask that copies of the unit and agency audit records for {} be sent on by {by}. {} has not recorded sending them; record it on the Inspections page once sent.",
                p.en, i.unit_name
            ),
        );
    }
    let due = portico_core::time::date_str(i.period.due());
    text(
        &format!("{}{}稽核將於 {due} 到期", p.zh, i.unit_name),
        &format!("The {} audit of {} is due {due}", p.en, i.unit_name),
        &format!(
            "{} {}的{}尚未簽核（已標記 {} / {} 筆），請於 {due} 前完成。",
            p.zh,
            i.unit_name,
            i.kind.label().zh,
            i.marked,
            i.sampled
        ),
        &format!(
            "The {} of {} for {} is not signed off ({} of {} records marked); finish it by {due}.",
            i.kind.label().en.to_lowercase(),
            i.unit_name,
            p.en,
            i.marked,
            i.sampled
        ),
    )
}

/// 權限清查 (002 §六 (二)): a campaign opened, and `n` items wait for this
/// reviewer.
pub fn campaign_opened(c: &portico_store::certifications::Campaign, n: i64) -> Text {
    let by = portico_core::time::date_str(c.deadline);
    text(
        &format!("權限清查：{}（{} 項待清查）", c.name, n),
        &format!("Access review: {} ({} items to review)", c.name, n),
        &format!(
            "「{}」已開始，共有 {} 項使用者權限待您清查。請於 {} 前登入公務入口網「權限清查」逐項選擇保留、撤銷或轉交其他清查人；逾期未清查者將{}。超過六個月未使用的帳號列在最前。",
            c.name,
            n,
            by,
            match c.on_expiry {
                portico_core::certification::OnExpiry::Revoke => "撤銷權限",
                portico_core::certification::OnExpiry::Flag => "標記待查",
            }
        ),
        &format!(
            "The access review \"{}\" has opened with {} rights for you to review. Sign in to the portal's Access reviews page by {} to keep, revoke or hand on each; what is not reviewed by then will be {}. Accounts unused for six months are listed first.",
            c.name,
            n,
            by,
            match c.on_expiry {
                portico_core::certification::OnExpiry::Revoke => "revoked",
                portico_core::certification::OnExpiry::Flag => "flagged",
            }
        ),
    )
}

/// A reviewer still holds items a few days before the deadline.
pub fn campaign_reminder(c: &portico_store::certifications::Campaign, n: i64) -> Text {
    let by = portico_core::time::date_str(c.deadline);
    text(
        &format!("提醒：權限清查「{}」將於 {} 截止", c.name, by),
        &format!("Reminder: the access review \"{}\" ends on {}", c.name, by),
        &format!(
            "您尚有 {} 項權限未清查。請於 {} 前登入公務入口網「權限清查」完成；逾期未清查者將依設定處理。",
            n, by
        ),
        &format!(
            "{} rights still wait for your review. Sign in to the portal's Access reviews page before {}; what is left will be handled as the review set.",
            n, by
        ),
    )
}

/// An item was handed to this person to review.
pub fn review_handed(
    c: &portico_store::certifications::Campaign,
    from: &str,
    whose: &str,
    n: usize,
    note: &str,
) -> Text {
    let by = portico_core::time::date_str(c.deadline);
    let (what_zh, what_en) = if n == 1 {
        (format!("{whose}的權限"), format!("a right ({whose})"))
    } else {
        (
            format!("{whose}等 {n} 項權限"),
            format!("{n} rights ({whose} and others)"),
        )
    };
    let (note_zh, note_en) = if note.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("\n說明：{note}"), format!("\nNote: {note}"))
    };
    text(
        &format!("權限清查轉交：{}", c.name),
        &format!("Access review handed to you: {}", c.name),
        &format!(
            "{from} 將{what_zh}轉交由您清查（「{}」）。請於 {by} 前登入公務入口網「權限清查」選擇保留或撤銷。{note_zh}",
            c.name
        ),
        &format!(
            "{from} handed you {what_en} to review in \"{}\". Sign in to the portal's Access reviews page before {by} to keep or revoke each.{note_en}",
            c.name
        ),
    )
}

/// A campaign ended: its owner hears what the deadline did.
pub fn campaign_closed(c: &portico_store::certifications::Campaign) -> Text {
    text(
        &format!("權限清查「{}」已結束", c.name),
        &format!("The access review \"{}\" has ended", c.name),
        &format!(
            "共 {} 項：保留 {} 項、撤銷 {} 項、逾期待查 {} 項。清查報告可於公務入口網「權限清查」下載（xlsx、ODS、PDF）。",
            c.total, c.kept, c.revoked, c.flagged
        ),
        &format!(
            "{} items: {} kept, {} revoked, {} flagged as not reviewed. The report is on the portal's Access reviews page (xlsx, ODS, PDF).",
            c.total, c.kept, c.revoked, c.flagged
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mail_speaks_both_languages_and_signs_off() {
        for t in [
            code(Purpose::Apply, "123456", 10),
            address_already_bound(),
            no_application_found(),
            application_received("王小明", "wang", "民政局"),
            decision(
                RequestKind::NewAccount,
                Decision::Reject,
                "wang",
                "單位錯誤",
                None,
            ),
            password_set("wang", true),
            service_decision(
                "差勤系統",
                &portico_core::clients::ServiceKind::Sso.label(),
                true,
                "",
            ),
        ] {
            assert!(t.subject.contains(" / "), "{}", t.subject);
            assert!(t.body.contains(SIGNATURE));
            assert!(
                t.body
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
            let english = t.body.bytes().filter(u8::is_ascii_alphabetic).count();
            assert!(english > 60, "English part: {}", t.body);
        }
    }

    #[test]
    fn no_request_is_called_an_application_application() {
        for kind in [
            RequestKind::NewAccount,
            RequestKind::Reinstate,
            RequestKind::AgencyChange,
            RequestKind::AdminRights,
        ] {
            for t in [
                request_received(kind, "王小明", "wang", "民政局"),
                decision(kind, Decision::Approve, "wang", "", None),
            ] {
                let all = format!("{}\n{}", t.subject, t.body);
                assert!(
                    !all.contains("申請申請") && !all.contains("申請」申請"),
                    "{all}"
                );
            }
        }
    }

    #[test]
    fn the_code_stands_on_its_own_line_and_a_rejection_carries_the_note() {
        assert!(
            code(Purpose::Activate, "042917", 10)
                .body
                .contains("\n    042917\n")
        );
        let t = decision(
            RequestKind::NewAccount,
            Decision::Reject,
            "wang",
            "單位選錯",
            None,
        );
        assert!(t.body.contains("審核說明：單位選錯"));
        assert!(
            code_sms(Purpose::ResetPassword, "042917", 10)
                .body
                .chars()
                .count()
                <= 70
        );
    }
}
