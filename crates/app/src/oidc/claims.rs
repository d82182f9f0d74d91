//! The claims about a person an application receives, by the claims its
//! single sign-on service was approved for.
use crate::{App, Result};
use portico_core::sso::Claim;
use portico_store::{accounts, orgs};
use serde_json::{Map, Value, json};

impl App {
    /// The approved claims of a person, and nothing else.
    pub async fn person_claims(
        &self,
        a: &accounts::Account,
        approved: &[Claim],
    ) -> Result<Map<String, Value>> {
        let mut m = Map::new();
        // One pooled connection for the unit and agency names, and only
        // when they were approved.
        let mut c = if approved
            .iter()
            .any(|c| matches!(c, Claim::Unit | Claim::Agency))
        {
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
            }
        }
        Ok(m)
    }
}
