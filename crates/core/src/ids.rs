//! Typed ids: an `AccountId` cannot be passed where an `OrgUnitId` belongs.
use std::fmt;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An account (a person's official account).
    AccountId
);
id_type!(
    /// A node of the org tree: a group, an agency or a unit.
    OrgUnitId
);
id_type!(
    /// A role grant.
    RoleId
);
id_type!(
    /// An agency or system mail account (機關／資訊系統郵件帳號).
    MailboxId
);
id_type!(
    /// An access request's form (會員類別、個人組織、應用系統角色申請表).
    FormId
);
id_type!(
    /// An uploaded file (a signed form's scan, an undertaking).
    FileId
);
