//! The claims about a person an application receives, by the claims its
//! single sign-on service was approved for, and the person's roles in that
//! application (issue 14): every application that defines roles gets a
//! `roles` claim with the codes the person holds there, and no other
//! application's.
use crate::{App, Result};
use portico_core::sso::Claim;
use portico_store::access::{self, defs as access_defs};
use portico_store::{accounts, orgs};
use serde_json::{Map, Value, json};

impl App {
    /// The approved claims of a person, and nothing else.
    pub async fn person_claims(
        &self,
        a: &accounts::Account,
        app: i64,
        approved: &[Claim],
    ) -> Result<Map<String, Value>> {
        let mut m = Map::new();
        {
            let mut c = self.db.read().await?;
            if let Some(roles) = access::roles_claim(&mut c, a.id, app).await? {
                m.insert("roles".into(), json!(roles));
            }
        }
        // One pooled connection for the unit and agency names, and only
        // when they were approved.
        let mut c = if approved.iter().any(|c| {
            matches!(
                c,
                Claim::Unit | Claim::Agency | Claim::Organisations | Claim::Categories
            )
        }) {
            Some(self.db.read().await?)
        } else {
            None
        };
        for claim in approved {
            match claim {
                Claim::Name => {
                    m.insert("name".into(), json!(a.name));
                }
                Claim::Login => {
                    m.insert("preferred_username".into(), json!(a.login));
                }
                Claim::Title => {
                    m.insert("title".into(), json!(a.title));
                }
                Claim::Email => {
                    if !a.official_email.is_empty() {
                        m.insert("email".into(), json!(a.official_email));
                        m.insert("email_verified".into(), json!(true));
                    }
                }
                Claim::Phone => {
                    if !a.office_phone.is_empty() {
                        let ext = if a.office_ext.is_empty() {
                            String::new()
                        } else {
                            format!(";ext={}", a.office_ext)
                        };
                        m.insert(
                            "phone_number".into(),
                            json!(format!("{}{ext}", a.office_phone)),
                        );
                    }
                }
                Claim::Unit => {
                    if let Some(c) = c.as_mut()
                        && let Some(u) = orgs::get(c, a.unit_id).await?
                    {
                        m.insert("unit".into(), json!(u.name));
                        m.insert("unit_oid".into(), json!(u.oid));
                    }
                }
                Claim::Agency => {
                    if let (Some(g), Some(c)) = (a.agency_id, c.as_mut())
                        && let Some(u) = orgs::get(c, g).await?
                    {
                        m.insert("agency".into(), json!(u.name));
                        m.insert("agency_oid".into(), json!(u.oid));
                    }
                }
                Claim::Organisations => {
                    if let Some(c) = c.as_mut() {
                        let mut orgs: Vec<Value> = access::held_orgs(c, a.id)
                            .await?
                            .into_iter()
                            .map(|o| json!({"name": o.name, "oid": o.oid, "title": o.title}))
                            .collect();
                        // Those the person belongs to by their agency.
                        for id in access_defs::roles_only_orgs_over(c, &a.unit_path).await? {
                            if let Some(o) = access_defs::org(c, id).await? {
                                orgs.push(json!({"name": o.name, "oid": o.oid, "title": ""}));
                            }
                        }
                        m.insert("organisations".into(), Value::Array(orgs));
                    }
                }
                Claim::Categories => {
                    if let Some(c) = c.as_mut() {
                        let codes: Vec<String> = access::held_categories(c, a.id)
                            .await?
                            .into_iter()
                            .map(|x| x.code)
                            .collect();
                        m.insert("member_categories".into(), json!(codes));
                    }
                }
            }
        }
        Ok(m)
    }
}
