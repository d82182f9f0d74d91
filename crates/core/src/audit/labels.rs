//! What the audit trail's codes mean to a person: every action, reason and
//! detail field in zh-TW and English, for the list, one event, the export
//! and the action filter. `crates/portico/tests/architecture.rs` holds
//! every action the use cases record to a label here.
use crate::msg::Msg;

/// Every action: (code, zh-TW, English).
pub const ACTIONS: &[(&str, &str, &str)] = &[
    ("auth.sign_in", "登入", "Sign in"),
    ("auth.sign_out", "登出", "Sign out"),
    (
        "auth.session.end",
        "結束其他裝置的登入",
        "Another session ended",
    ),
    (
        "auth.sign_out_everywhere",
        "登出所有裝置",
        "Sign out everywhere",
    ),
    (
        "auth.temp_password.request",
        "申請臨時密碼",
        "Temporary password requested",
    ),
    (
        "auth.mobile_id.verify",
        "行動自然人憑證驗證身分",
        "Mobile ID identity check",
    ),
    (
        "auth.card.verify",
        "自然人憑證驗證身分",
        "Card identity check",
    ),
    (
        "account.login.remind",
        "忘記帳號（寄送帳號）",
        "Login name reminder sent",
    ),
    ("account.activate", "開通帳號", "Account activated"),
    (
        "account.totp.begin",
        "開始 OTP 驗證綁定",
        "Authenticator setup started",
    ),
    (
        "account.totp.enable",
        "啟用 OTP 驗證",
        "Authenticator app turned on",
    ),
    (
        "account.totp.disable",
        "關閉 OTP 驗證",
        "Authenticator app turned off",
    ),
    ("account.passkey.add", "新增通行金鑰", "Passkey added"),
    (
        "account.passkey.rename",
        "重新命名通行金鑰",
        "Passkey renamed",
    ),
    ("account.passkey.remove", "移除通行金鑰", "Passkey removed"),
    (
        "account.card.bind",
        "綁定自然人憑證",
        "Certificate card bound",
    ),
    (
        "account.card.unbind",
        "解除自然人憑證綁定",
        "Certificate card unbound",
    ),
    ("account.mobile.bind", "綁定手機號碼", "Mobile number bound"),
    (
        "account.mobile.unbind",
        "解除手機號碼綁定",
        "Mobile number unbound",
    ),
    (
        "account.backup_email.bind",
        "綁定備用信箱",
        "Backup e-mail bound",
    ),
    (
        "account.method.reset",
        "重設登入方式綁定",
        "Sign-in method reset",
    ),
    ("account.profile.update", "修改個人資料", "Profile updated"),
    ("account.password.change", "修改密碼", "Password changed"),
    ("account.password.reset", "重設密碼", "Password reset"),
    (
        "account.password.force_reset",
        "強制重設密碼",
        "Password reset forced",
    ),
    (
        "account.profile.admin_update",
        "管理者修改個人資料",
        "Profile updated by an admin",
    ),
    ("account.avatar.set", "更新個人圖像", "Avatar updated"),
    ("account.avatar.remove", "移除個人圖像", "Avatar removed"),
    ("account.disable", "停用帳號", "Account disabled"),
    (
        "account.disable.idle",
        "閒置停用帳號",
        "Account disabled for idleness",
    ),
    ("account.enable", "啟用帳號", "Account enabled"),
    ("account.unlock", "解除鎖定", "Account unlocked"),
    ("account.role.grant", "指派角色", "Role granted"),
    ("account.role.revoke", "移除角色", "Role revoked"),
    (
        "account.app.revoke",
        "結束應用系統的存取",
        "An application's access ended",
    ),
    (
        "account.create_system_admin",
        "建立系統管理者（主控台）",
        "System admin created (console)",
    ),
    (
        "application.submit",
        "送出帳號申請",
        "Account application submitted",
    ),
    (
        "application.modify",
        "修改帳號申請",
        "Account application modified",
    ),
    (
        "reinstate.submit",
        "送出帳號復用申請",
        "Reinstatement requested",
    ),
    (
        "admin_rights.request",
        "送出機關管理者申請",
        "Admin rights requested",
    ),
    (
        "agency_change.request",
        "送出機關(單位)異動申請",
        "Agency change requested",
    ),
    ("request.approve", "審核通過", "Request approved"),
    ("request.reject", "審核退回", "Request rejected"),
    ("org.create", "新增單位", "Unit created"),
    ("org.update", "修改單位", "Unit updated"),
    ("org.move", "移動單位", "Unit moved"),
    ("org.delete", "刪除單位", "Unit deleted"),
    ("settings.update", "修改系統參數", "Settings changed"),
    ("outbox.retry", "重送通知", "Message sent again"),
    (
        "oauth.authorize",
        "單一登入授權",
        "Single sign-on authorization",
    ),
    ("oauth.token", "取得權杖", "Token issued"),
    ("oauth.revoke", "撤銷權杖", "Token revoked"),
    (
        "oauth.client_auth",
        "應用系統身分驗證",
        "Application authentication",
    ),
    ("oauth.key.rotate", "更換簽章金鑰", "Signing key rotated"),
    ("app.create", "新增應用系統", "Application registered"),
    ("app.update", "修改應用系統", "Application updated"),
    ("app.service.apply", "申請介接服務", "Service applied for"),
    ("app.service.approve", "核准介接服務", "Service approved"),
    ("app.service.reject", "退回介接服務", "Service rejected"),
    (
        "app.secret.create",
        "產生用戶端密鑰",
        "Client secret generated",
    ),
    (
        "app.secret.rotate",
        "重新產生用戶端密鑰",
        "Client secret rotated",
    ),
    (
        "app.secret.revoke",
        "撤銷用戶端密鑰",
        "Client secret revoked",
    ),
    ("app.suspend", "停用應用系統", "Application suspended"),
    (
        "app.reactivate",
        "重新啟用應用系統",
        "Application reactivated",
    ),
    (
        "app.launch",
        "轉登應用系統",
        "Application opened from a tile",
    ),
    ("app.verify", "帳號驗證 API", "Account verification API"),
    ("app.sms", "簡訊發送 API", "SMS API"),
    ("app.usage", "使用紀錄回報 API", "Usage reporting API"),
    (
        "usage.record",
        "應用系統使用紀錄",
        "Application usage record",
    ),
    (
        "account.national_id",
        "查詢身分證統一編號",
        "National ID looked up",
    ),
    (
        "audit.person",
        "查詢特定人員的日誌紀錄",
        "One person's audit trail read",
    ),
    ("audit.export", "匯出日誌紀錄", "Audit trail exported"),
    (
        "audit.purge",
        "銷毀逾保存期限的紀錄",
        "Records past retention destroyed",
    ),
    ("inspection.draw", "稽核抽樣", "Audit sample drawn"),
    ("inspection.mark", "標記稽核結果", "Sampled record marked"),
    ("inspection.sign", "稽核紀錄簽核", "Audit record signed off"),
    ("inspection.delegate", "指派稽核人員", "Auditor delegated"),
    ("inspection.close", "結案異常事項", "Finding closed"),
    ("inspection.sent", "函送稽核紀錄", "Audit records sent on"),
    (
        "inspection.ethics",
        "設定政風單位信箱",
        "Ethics unit address set",
    ),
    ("certification.open", "開始權限清查", "Access review opened"),
    (
        "certification.keep",
        "權限清查：保留",
        "Access review: kept",
    ),
    (
        "certification.revoke",
        "權限清查：撤銷",
        "Access review: revoked",
    ),
    (
        "certification.hand",
        "權限清查：轉交",
        "Access review: handed on",
    ),
    (
        "certification.expire",
        "權限清查逾期撤銷",
        "Access review: revoked at the deadline",
    ),
    (
        "certification.flag",
        "權限清查逾期待查",
        "Access review: flagged at the deadline",
    ),
    (
        "certification.report",
        "下載權限清查報告",
        "Access review report downloaded",
    ),
    ("venue.create", "新增場地", "Venue created"),
    ("venue.update", "修改場地資訊", "Venue changed"),
    ("venue.remove", "刪除場地", "Venue removed"),
    ("venue.custodian", "設置場地保管人", "Venue custodian set"),
    ("venue.photo_add", "上傳場地照片", "Venue photos added"),
    ("venue.photo_remove", "刪除場地照片", "Venue photo removed"),
    ("car.photo_add", "上傳公務車照片", "Car photos added"),
    ("car.photo_remove", "刪除公務車照片", "Car photo removed"),
    ("car.create", "新增公務車", "Car created"),
    ("car.update", "修改公務車資訊", "Car changed"),
    ("car.remove", "刪除公務車", "Car removed"),
    ("car.custodian", "設置公務車保管人", "Car custodian set"),
    ("driver.create", "新增派遣司機", "Driver created"),
    ("driver.update", "修改司機資訊", "Driver changed"),
    ("driver.remove", "刪除派遣司機", "Driver removed"),
    ("driver.custodian", "設置司機管理人", "Driver manager set"),
    ("repair_type.create", "新增報修類型", "Repair type created"),
    (
        "repair_type.update",
        "修改報修類型資訊",
        "Repair type changed",
    ),
    ("repair_type.remove", "刪除報修類型", "Repair type removed"),
    (
        "repair_type.custodian",
        "設置報修類型保管人",
        "Repair type custodian set",
    ),
    ("announcement.publish", "發布公告", "Announcement posted"),
    ("announcement.update", "編輯公告", "Announcement edited"),
    (
        "announcement.take_down",
        "下架公告",
        "Announcement taken down",
    ),
    ("announcement.delete", "刪除公告", "Announcement deleted"),
    (
        "announcement.file_remove",
        "移除公告附件",
        "Announcement file removed",
    ),
    (
        "announcement.download",
        "下載公告附件",
        "Announcement attachment downloaded",
    ),
    ("announcement.comment", "公告留言", "Comment posted"),
    ("announcement.reply", "回覆留言", "Comment answered"),
    ("announcement.comment_hide", "移除留言", "Comment removed"),
    (
        "document.publish",
        "發布公文附件",
        "Document attachments filed",
    ),
    ("document.update", "編輯公文主題", "Document topic edited"),
    (
        "document.file_remove",
        "移除公文附件",
        "Document attachment removed",
    ),
    ("document.delete", "刪除公文主題", "Document topic deleted"),
    (
        "document.download",
        "下載公文附件",
        "Document attachment downloaded",
    ),
    (
        "document.lookup_blocked",
        "公文附件查詢錯誤過多，暫停查詢",
        "Document lookups blocked after misses",
    ),
    ("download.share", "新增檔案（檔案下載區）", "File shared"),
    (
        "download.update",
        "編輯檔案（檔案下載區）",
        "Shared file edited",
    ),
    (
        "download.file_remove",
        "移除檔案（檔案下載區）",
        "Shared file removed",
    ),
    (
        "download.delete",
        "刪除檔案（檔案下載區）",
        "Shared file deleted",
    ),
    (
        "download.keep",
        "設定保留（檔案下載區）",
        "Shared file's keep flag set",
    ),
    (
        "download.download",
        "下載檔案（檔案下載區）",
        "Shared file downloaded",
    ),
    ("content.banner_save", "儲存首頁橫幅", "Banner saved"),
    ("content.banner_delete", "刪除首頁橫幅", "Banner deleted"),
    ("content.notice_save", "儲存系統訊息", "Notice saved"),
    ("content.notice_delete", "刪除系統訊息", "Notice deleted"),
    ("content.faq_save", "儲存常見問題", "FAQ saved"),
    ("content.faq_delete", "刪除常見問題", "FAQ deleted"),
    ("content.link_save", "儲存應用程式連結", "Link saved"),
    ("content.link_delete", "刪除應用程式連結", "Link deleted"),
    ("repair.report", "線上報修", "Fault reported"),
    ("repair.reply", "報修處理狀況回報", "Repair answered"),
    ("repair.rate", "報修評分", "Repair rated"),
    ("repair.return", "報修退回", "Repair returned"),
    (
        "calendar.create",
        "建立行事曆訂閱網址",
        "Calendar feed created",
    ),
    (
        "calendar.revoke",
        "停用行事曆訂閱網址",
        "Calendar feed revoked",
    ),
    ("booking.request", "借用申請", "Booking requested"),
    ("booking.approve", "借用審核核准", "Booking approved"),
    ("booking.reject", "借用審核退回", "Booking rejected"),
    ("booking.cancel", "取消借用申請", "Booking cancelled"),
    (
        "certification.close",
        "權限清查結束",
        "Access review closed",
    ),
    ("demo.seed", "建立示範資料", "Demo data created"),
    (
        "directory.target.create",
        "新增目錄同步對象",
        "Directory target added",
    ),
    (
        "directory.target.update",
        "修改目錄同步對象",
        "Directory target changed",
    ),
    (
        "directory.probe",
        "測試目錄連線",
        "Directory connection tested",
    ),
    (
        "directory.reconcile",
        "修正目錄差異",
        "Directory drift repaired",
    ),
    (
        "directory.retry",
        "重新同步目錄",
        "Directory change retried",
    ),
    (
        "directory.adopt",
        "連結既有目錄帳號",
        "Existing directory linked",
    ),
    (
        "mailbox.apply",
        "申請機關或資訊系統郵件帳號",
        "Mail account applied for",
    ),
    (
        "mailbox.custodian",
        "郵件帳號保管人異動",
        "Mail account handed over",
    ),
    (
        "mailbox.password",
        "郵件帳號密碼異動",
        "Mail account password set",
    ),
    ("mailbox.enable", "啟用郵件帳號", "Mail account enabled"),
    ("mailbox.disable", "停用郵件帳號", "Mail account disabled"),
    ("account.cancel", "註銷帳號", "Account cancelled"),
    (
        "account.cancel_request",
        "申請帳號註銷",
        "Account cancellation asked for",
    ),
    (
        "access.purge",
        "銷毀逾保存期限的申請書",
        "Signed forms destroyed",
    ),
    ("access.submit", "送出權限申請表單", "Access form sent"),
    (
        "access.withdraw",
        "撤回權限申請表單",
        "Access form withdrawn",
    ),
    ("access.approve", "同意權限申請表單", "Access form approved"),
    (
        "access.reject",
        "不同意權限申請表單",
        "Access form declined",
    ),
    ("access.category", "會員類別設定", "Member category defined"),
    ("access.org", "可加入組織設定", "Organisation defined"),
    (
        "access.title",
        "組織職稱/身分設定",
        "Organisation title defined",
    ),
    (
        "access.role",
        "應用系統角色設定",
        "Application role defined",
    ),
    (
        "access.manager_add",
        "指定應用系統管理者",
        "Application manager appointed",
    ),
    (
        "access.manager_remove",
        "移除應用系統管理者",
        "Application manager removed",
    ),
];

/// What a withheld actor's login reads as (`app::audit` withholds the
/// logins a reader may not see): codes no login can be, labelled here.
pub const WITHHELD_ACTORS: &[(&str, &str, &str)] = &[
    ("@system_admin", "系統管理者", "A system administrator"),
    ("@other_admin", "其他管理者", "Another administrator"),
    ("@another_person", "其他使用者", "Another person"),
];

/// An event's actor as a person reads it: the login, or the words for a
/// withheld one.
pub fn actor_label(login: &str) -> Msg {
    WITHHELD_ACTORS
        .iter()
        .find(|(code, _, _)| *code == login)
        .map(|(_, zh, en)| Msg::new(zh, en))
        .unwrap_or_else(|| Msg::owned(login.to_owned(), login.to_owned()))
}

/// Groups of actions for the filter: (code prefix, zh-TW, English).
pub const ACTION_GROUPS: &[(&str, &str, &str)] = &[
    ("auth.", "登入與登出", "Signing in and out"),
    ("account.", "帳號", "Accounts"),
    ("application.", "帳號申請", "Account applications"),
    ("request.", "審核", "Reviews"),
    ("org.", "組織", "Org tree"),
    ("settings.", "系統參數", "Settings"),
    ("outbox.", "通知佇列", "Outbox"),
    ("oauth.", "單一登入", "Single sign-on"),
    ("app.", "應用系統", "Applications"),
    ("directory.", "AD 同步", "Directory sync"),
    ("mailbox.", "機關及系統郵件帳號", "Mail accounts"),
    ("access.", "會員類別、組織與角色申請", "Access requests"),
    ("usage.", "使用紀錄", "Usage records"),
    ("inspection.", "稽核", "Inspections"),
    ("certification.", "權限清查", "Access reviews"),
    ("venue.", "場地管理", "Venues"),
    ("car.", "公務車管理", "Official cars"),
    ("calendar.", "行事曆訂閱", "Calendar feeds"),
    ("driver.", "派遣司機管理", "Drivers"),
    ("announcement.", "公告", "Announcements"),
    ("content.", "訊息管理", "Portal content"),
    ("document.", "公文附件", "Document attachments"),
    ("download.", "檔案下載區", "File area"),
    ("repair_type.", "報修類型管理", "Repair types"),
    ("repair.", "線上報修", "Repairs"),
    ("booking.", "場地及公務車借用", "Bookings"),
    ("audit.", "稽核軌跡", "Audit trail"),
];

pub use super::reasons::REASONS;

/// Detail fields: (key, zh-TW, English).
pub const DETAIL_KEYS: &[(&str, &str, &str)] = &[
    ("campaign", "權限清查", "Access review"),
    ("right", "權限", "Right"),
    ("held", "撤銷時仍持有", "Still held when revoked"),
    ("items", "項目數", "Items"),
    ("deadline", "截止日期", "Deadline"),
    ("on_expiry", "逾期處理", "At the deadline"),
    ("kept", "保留", "Kept"),
    ("revoked", "撤銷", "Revoked"),
    ("flagged", "逾期待查", "Flagged"),
    ("method", "登入方式", "Sign-in method"),
    ("via", "途徑", "Via"),
    ("app", "應用系統", "Application"),
    ("client_id", "用戶端識別碼", "Client id"),
    ("service", "服務", "Service"),
    ("application", "申請編號", "Application no."),
    ("request", "申請編號", "Request no."),
    ("kind", "類別", "Kind"),
    ("by_login", "依帳號名稱連結", "Linked by login"),
    (
        "renamed",
        "依屬性連結並更名",
        "Linked by attribute, renamed",
    ),
    ("mailbox_kind", "郵件帳號類型", "Mail account kind"),
    ("official_mail", "公務郵件", "Official mailbox"),
    (
        "needs_official_mail",
        "需要公務郵件",
        "Official mailbox asked for",
    ),
    ("roles_revoked", "移除的角色數", "Roles removed"),
    ("sessions", "結束的工作階段數", "Sessions ended"),
    ("scope", "範圍", "Scope"),
    ("jti", "權杖編號", "Token id"),
    ("unit", "單位", "Unit"),
    ("units", "單位數", "Units"),
    ("name", "名稱", "Name"),
    ("oid", "OID", "OID"),
    ("role", "角色", "Role"),
    ("scope_unit", "管理範圍", "Scope"),
    ("scope_name", "管理範圍", "Scope"),
    ("from", "原", "From"),
    ("to", "新", "To"),
    ("from_parent", "原上層單位", "Old parent"),
    ("to_parent", "新上層單位", "New parent"),
    ("before", "修改前", "Before"),
    ("after", "修改後", "After"),
    ("changed", "變更的欄位", "Fields changed"),
    ("version", "版本", "Version"),
    ("title", "職稱", "Title"),
    ("enabled", "啟用", "Enabled"),
    ("removed", "已移除", "Removed"),
    ("resubmitted", "重新送出", "Resubmitted"),
    ("accounts", "帳號數", "Accounts"),
    ("serial", "憑證序號", "Certificate serial"),
    ("kid", "金鑰編號", "Key id"),
    ("alg", "演算法", "Algorithm"),
    ("url", "網址", "URL"),
    (
        "password_changed",
        "已更換繫結密碼",
        "Bind password changed",
    ),
    ("ips", "IP 位址", "IP addresses"),
    ("email", "電子郵件", "E-mail"),
    ("message", "訊息", "Message"),
    ("error", "錯誤", "Error"),
    ("active", "有效", "Active"),
    ("id", "編號", "Id"),
    ("ip", "IP 位址", "IP address"),
    (
        "error_description",
        "告知應用系統的說明",
        "What the application was told",
    ),
    ("grants", "撤銷的授權數", "Grants revoked"),
    ("step", "申請項目", "Step"),
    ("files", "檔案數", "Files"),
    ("op", "類型", "Type"),
    ("login", "帳號", "Login"),
    ("used_at", "使用時間", "Time of use"),
    ("use", "使用動作", "Action"),
    ("object", "查詢對象", "Object"),
    ("reason_kind", "原因類別", "Reason kind"),
    ("query_reason", "查詢原因", "Reason"),
    ("person", "查詢對象", "Whose records"),
    ("rows", "匯出筆數", "Rows exported"),
    ("capacity", "容納人數", "Capacity"),
    ("custodian", "保管人", "Custodian"),
    ("position", "保管人位置", "Custodian place"),
    ("booking", "申請編號", "Request no."),
    ("span", "登記時段", "Hours"),
    ("applicant", "申請人", "Applicant"),
    ("plate", "車號", "Plate"),
    ("feed", "行事曆", "Calendar"),
    ("driver", "派遣司機", "Driver"),
    ("passengers", "乘坐人數", "Passengers"),
    ("staff", "維修人員數", "Repair staff"),
    ("repair", "報修編號", "Report no."),
    ("reach", "發布範圍", "Reach"),
    ("status", "狀態", "Status"),
    ("file", "檔案", "File"),
    ("keep", "保留", "Keep"),
    ("fields", "修改欄位", "Changed fields"),
    ("comment", "留言編號", "Comment no."),
    ("comments", "留言數", "Comments"),
    ("own", "本人留言", "Own comment"),
    ("image", "更換圖片", "New image"),
    ("audience", "對象", "Audience"),
    ("agencies", "機關數", "Agencies"),
    ("public", "公開查詢", "Public"),
    ("takedown", "下架日期", "Take-down date"),
    ("failures", "錯誤次數", "Misses"),
    ("place", "所在地點", "Place"),
    ("photos", "照片張數", "Photos"),
    ("category", "分類", "Category"),
    ("score", "評分", "Score"),
    ("format", "格式", "Format"),
    ("range", "期間", "Period"),
    ("page", "頁次", "Page"),
    ("period", "稽核期別", "Period"),
    ("seq", "紀錄序號", "Record no."),
    ("mark", "稽核結果", "Finding"),
    ("note", "說明", "Note"),
    ("purged", "銷毀筆數", "Destroyed"),
    ("records", "筆數", "Records"),
    ("people", "人數", "People"),
    ("sampled", "抽樣筆數", "Sampled"),
];

fn find(table: &'static [(&'static str, &'static str, &'static str)], code: &str) -> Option<Msg> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| Msg::new(zh, en))
}

/// An action in words; an unknown code as itself.
pub fn action_label(code: &str) -> Msg {
    find(ACTIONS, code).unwrap_or_else(|| Msg::owned(code.to_owned(), code.to_owned()))
}

/// A reason in words; empty for none; an unknown code as itself.
/// Whether an event's reason is one of the portal's codes (a refusal's
/// why), not words a person wrote (an application's reason).
pub fn is_reason_code(reason: &str) -> bool {
    find(REASONS, reason).is_some()
}

pub fn reason_label(code: &str) -> Msg {
    if code.is_empty() {
        return Msg::new("", "");
    }
    find(REASONS, code).unwrap_or_else(|| Msg::owned(code.to_owned(), code.to_owned()))
}

/// An event's detail (a JSON object) as labelled lines, by key; a
/// detail that is not an object is one line of text.
pub fn detail_lines(detail: &str) -> Vec<(Msg, Msg)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(detail)
    else {
        return if detail.is_empty() {
            Vec::new()
        } else {
            vec![(
                Msg::new("內容", "Detail"),
                Msg::owned(detail.to_owned(), detail.to_owned()),
            )]
        };
    };
    map.iter()
        // An id beside its name says nothing more to a person.
        .filter(|(k, _)| !(k.as_str() == "scope_unit" && map.contains_key("scope_name")))
        .map(|(k, v)| {
            let label = find(DETAIL_KEYS, k).unwrap_or_else(|| Msg::owned(k.clone(), k.clone()));
            (label, value_text(k, v))
        })
        .collect()
}

fn value_text(key: &str, v: &serde_json::Value) -> Msg {
    use serde_json::Value;
    match v {
        Value::Bool(true) => Msg::new("是", "yes"),
        Value::Bool(false) => Msg::new("否", "no"),
        Value::Null => Msg::new("（無）", "(none)"),
        Value::String(s) if key == "method" => crate::zone::SignInMethod::parse(s)
            .map(|m| m.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "role" => crate::permission::RoleKind::parse(s)
            .map(|r| r.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "step" => crate::access::Step::parse(s)
            .map(|k| k.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "op" => crate::access::Op::parse(s)
            .map(|k| k.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "reach" => crate::announcement::Reach::parse(s)
            .map(|r| r.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "status" => crate::announcement::Status::parse(s)
            .map(|r| r.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "audience" => crate::content::Audience::parse(s)
            .map(|r| r.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "mailbox_kind" => crate::mailbox::MailboxKind::parse(s)
            .map(|k| k.label())
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::String(s) if key == "kind" => crate::directory::DirectoryKind::parse(s)
            .map(|k| k.label())
            .or_else(|| crate::org::OrgKind::parse(s).map(|k| k.label()))
            .unwrap_or_else(|| Msg::owned(s.clone(), s.clone())),
        Value::Array(a) if a.len() == 2 && CHANGE_KEYS.contains(&key) => {
            let (from, to) = (value_text(key, &a[0]), value_text(key, &a[1]));
            Msg::owned(
                format!("{} → {}", from.zh, to.zh),
                format!("{} → {}", from.en, to.en),
            )
        }
        Value::String(s) => Msg::owned(s.clone(), s.clone()),
        Value::Array(a) => {
            let parts: Vec<Msg> = a.iter().map(|x| value_text(key, x)).collect();
            Msg::owned(
                parts
                    .iter()
                    .map(|m| m.zh.as_ref())
                    .collect::<Vec<_>>()
                    .join("、"),
                parts
                    .iter()
                    .map(|m| m.en.as_ref())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        other => Msg::owned(other.to_string(), other.to_string()),
    }
}

/// What an event is about: (target kind, zh-TW, English).
pub const TARGET_KINDS: &[(&str, &str, &str)] = &[
    ("account", "帳號", "Account"),
    ("app", "應用系統", "Application"),
    ("directory", "目錄同步對象", "Directory target"),
    ("mailbox", "郵件帳號", "Mail account"),
    ("key", "簽章金鑰", "Signing key"),
    ("org_unit", "單位", "Unit"),
    ("outbox", "通知", "Message"),
    ("settings", "系統參數", "Settings"),
    ("system", "系統", "System"),
    ("request", "申請", "Request"),
    ("access_form", "權限申請表單", "Access form"),
    ("member_category", "會員類別", "Member category"),
    ("access_org", "可加入的組織", "Organisation"),
    ("announcement", "公告", "Announcement"),
    ("content", "入口網內容", "Portal content"),
    ("document", "公文附件", "Document attachments"),
    ("download", "檔案下載區", "File area"),
];

/// An event's target kind in words.
pub fn target_kind_label(kind: &str) -> Msg {
    find(TARGET_KINDS, kind).unwrap_or_else(|| Msg::owned(kind.to_owned(), kind.to_owned()))
}

/// Keys whose value is a change, `[before, after]`, read "before → after".
const CHANGE_KEYS: &[&str] = &["oid", "name", "enabled", "from_to"];

/// The detail as one line of text in `lang` (the export's cell).
pub fn detail_text(detail: &str, lang: crate::Lang) -> String {
    detail_lines(detail)
        .iter()
        .map(|(k, v)| format!("{}：{}", k.get(lang), v.get(lang)))
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_in_words_not_codes() {
        let lines = detail_lines(r#"{"role":"agency_admin","scope_unit":6,"scope_name":"民政局"}"#);
        let text: Vec<String> = lines
            .iter()
            .map(|(k, v)| format!("{}={}", k.zh, v.zh))
            .collect();
        assert!(text.iter().any(|l| l.ends_with("=機關管理者")), "{text:?}");
        assert!(
            !text.iter().any(|l| l.contains('6')),
            "no bare id beside its name: {text:?}"
        );
        let lines = detail_lines(r#"{"oid":["2.16.1","2.16.2"],"kind":"ad"}"#);
        let text: Vec<String> = lines.iter().map(|(_, v)| v.zh.to_string()).collect();
        assert!(text.contains(&"2.16.1 → 2.16.2".to_owned()), "{text:?}");
        assert!(
            text.iter().any(|t| t.starts_with("Active Directory")),
            "{text:?}"
        );
        assert_eq!(target_kind_label("org_unit").zh, "單位");
    }

    #[test]
    fn every_code_is_labelled_once() {
        for table in [ACTIONS, REASONS, DETAIL_KEYS] {
            let mut codes: Vec<&str> = table.iter().map(|(c, _, _)| *c).collect();
            let n = codes.len();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), n, "a code twice");
        }
        for (code, _, _) in ACTIONS {
            assert!(
                ACTION_GROUPS.iter().any(|(p, _, _)| code.starts_with(p))
                    || [
                        "reinstate.submit",
                        "admin_rights.request",
                        "agency_change.request",
                        "demo.seed"
                    ]
                    .contains(code),
                "{code} in a filter group"
            );
        }
    }

    #[test]
    fn a_detail_reads_as_labelled_fields() {
        let lines = detail_lines(r#"{"method":"password","official_mail":true,"roles_revoked":2}"#);
        let zh: Vec<String> = lines
            .iter()
            .map(|(k, v)| format!("{}={}", k.zh, v.zh))
            .collect();
        assert_eq!(zh, ["登入方式=一般登入", "公務郵件=是", "移除的角色數=2"]);
        assert_eq!(
            detail_text(r#"{"service":"sso"}"#, crate::Lang::En),
            "Service：sso"
        );
    }
}
