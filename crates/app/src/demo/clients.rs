//! The demo's registered applications: the sample relying party (its
//! ES256 and RS256 twins) with every service approved, and one application
//! waiting for review.
use super::SEED;
use crate::Result;
use portico_core::ids::AccountId;

/// The sample relying application (`examples/sample-rp`) and its client.
pub const SAMPLE_CLIENT_ID: &str = "portico-sample";

/// The sample's twin whose tokens are signed RS256.
pub const SAMPLE_RS256_CLIENT_ID: &str = "portico-sample-rs256";

/// The demo prints it; a real client's secret is shown once to its owner.
pub const SAMPLE_CLIENT_SECRET: &str = "sample-secret-for-the-demo-only";

/// Where the sample application listens.
pub const SAMPLE_APP_URL: &str = "http://127.0.0.1:8081";

/// The demo's registered applications: the sample relying application with
/// all four services approved, and one application waiting for review.
pub(super) async fn seed_demo_apps(
    tx: &mut portico_store::Conn,
    admin: AccountId,
    agency: portico_core::ids::OrgUnitId,
    now: time::OffsetDateTime,
) -> Result<()> {
    use portico_core::clients::ServiceKind;
    use portico_core::sso::{Claim, ClientType, SigningAlg, claims_to_stored};
    use portico_store::clients::{self, ClientRow, NewService};
    let app = |name: &'static str, short: &'static str, desc: &'static str, url: &'static str| {
        ClientRow {
            name,
            short_name: short,
            agency_id: agency,
            contact_name: "系統管理者",
            contact_phone: "062991111#8101",
            contact_email: "admin@mail.tainan.gov.tw",
            vendor: "Portico",
            description: desc,
            url,
            ips: "127.0.0.1,::1",
        }
    };
    let sample = clients::insert(
        tx,
        SAMPLE_CLIENT_ID,
        &app(
            "範例應用系統",
            "範例系統",
            "示範單一登入、帳號驗證、轉登與簡訊發送（examples/sample-rp）",
            "http://127.0.0.1:8081/",
        ),
        admin,
        now,
    )
    .await?;
    clients::set_secret(tx, sample, &crate::token_hash(SAMPLE_CLIENT_SECRET), now).await?;
    let all = claims_to_stored(&Claim::ALL);
    let svc = |kind, claims: &'static str| -> NewService<'static> {
        NewService {
            app_id: sample,
            kind,
            claims,
            redirect_uris: &[],
            post_logout_uris: &[],
            client_type: ClientType::Confidential,
            signing_alg: SigningAlg::ES256,
            api_access: false,
            initiate_login_uri: "",
            backchannel_logout_uri: "",
            tile_agencies: &[],
            sms_quota: 0,
            reason: "示範用",
            submitted_by: admin,
            submitted_login: "admin",
        }
    };
    let redirect = [format!("{SAMPLE_APP_URL}/callback")];
    let logout = [format!("{SAMPLE_APP_URL}/")];
    let initiate = format!("{SAMPLE_APP_URL}/login");
    let services = [
        NewService {
            redirect_uris: &redirect,
            post_logout_uris: &logout,
            api_access: true,
            claims: &all,
            ..svc(ServiceKind::Sso, "")
        },
        svc(ServiceKind::Verify, "agency,login,name"),
        NewService {
            initiate_login_uri: &initiate,
            ..svc(ServiceKind::Tile, "")
        },
        NewService {
            sms_quota: 100,
            ..svc(ServiceKind::Sms, "")
        },
        svc(ServiceKind::Usage, ""),
    ];
    for n in &services {
        let id = clients::insert_service(tx, n, now).await?;
        let s = clients::service(tx, id)
            .await?
            .ok_or(crate::Error::NotFound)?;
        clients::decide_service(tx, SEED.system(), &s, true, "admin", "示範資料", now).await?;
    }
    // The same sample under a second client whose tokens are signed RS256,
    // as many government Java applications expect.
    let rsa = clients::insert(
        tx,
        SAMPLE_RS256_CLIENT_ID,
        &app(
            "範例應用系統（RS256）",
            "範例 RS256",
            "與範例應用系統相同，權杖以 RS256 簽章",
            "http://127.0.0.1:8081/",
        ),
        admin,
        now,
    )
    .await?;
    clients::set_secret(tx, rsa, &crate::token_hash(SAMPLE_CLIENT_SECRET), now).await?;
    let id = clients::insert_service(
        tx,
        &NewService {
            app_id: rsa,
            redirect_uris: &redirect,
            post_logout_uris: &logout,
            signing_alg: SigningAlg::RS256,
            ..svc(ServiceKind::Sso, "agency,login,name")
        },
        now,
    )
    .await?;
    let s = clients::service(tx, id)
        .await?
        .ok_or(crate::Error::NotFound)?;
    clients::decide_service(tx, SEED.system(), &s, true, "admin", "示範資料", now).await?;
    let waiting = clients::insert(
        tx,
        "portico-leave-demo",
        &app(
            "差勤管理系統",
            "差勤",
            "差假申請與簽核，改用公務入口網單一登入",
            "https://leave.tainan.gov.tw/",
        ),
        admin,
        now,
    )
    .await?;
    let cb = ["https://leave.tainan.gov.tw/oidc/callback".to_owned()];
    clients::insert_service(
        tx,
        &NewService {
            app_id: waiting,
            redirect_uris: &cb,
            signing_alg: SigningAlg::RS256,
            reason: "差勤系統改用 OpenID Connect 單一登入",
            ..svc(ServiceKind::Sso, "agency,email,login,name,title,unit")
        },
        now,
    )
    .await?;
    Ok(())
}
