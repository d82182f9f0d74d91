//! The handles of the portal's content (issue 17; seed 004 §肆 二, §伍 一):
//! a post is written by its author alone; it is taken down, deleted and
//! its comments hidden by its author or by an admin over its agency (an
//! agency admin of it or of an agency above it, and the system admins).
use super::{Principal, Unattended};
use crate::error::Error;
use crate::ids::AccountId;
use crate::org::TreePath;

/// What the check knows of a post.
#[derive(Debug, Clone, Copy)]
pub struct PostSeen<'t> {
    pub id: i64,
    pub author: AccountId,
    /// The path of the agency it was posted for.
    pub agency: &'t TreePath,
}

/// Proof that the actor writes one post: edits it and its files.
///
/// ```compile_fail
/// use portico_core::permission::PostAuthor;
/// fn forge() -> PostAuthor {
///     PostAuthor { id: 1 }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostAuthor {
    id: i64,
}

impl PostAuthor {
    pub fn id(&self) -> i64 {
        self.id
    }
}

/// Proof that the actor moderates one post: takes it down, deletes it,
/// hides its comments.
///
/// ```compile_fail
/// use portico_core::permission::PostModerator;
/// use portico_core::ids::AccountId;
/// fn forge() -> PostModerator {
///     PostModerator { id: 1, by: AccountId(1) }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostModerator {
    id: i64,
    by: AccountId,
}

impl PostModerator {
    pub fn id(&self) -> i64 {
        self.id
    }
    pub fn by(&self) -> AccountId {
        self.by
    }
}

impl Principal {
    /// Only a post's author edits it; anyone else is refused.
    pub fn post_author(&self, p: &PostSeen<'_>) -> Result<PostAuthor, Error> {
        if p.author == self.account_id {
            Ok(PostAuthor { id: p.id })
        } else {
            Err(Error::Forbidden)
        }
    }

    /// A post's author, or an admin whose scope holds its whole agency
    /// (a unit admin inside it does not), moderates it.
    pub fn post_moderator(&self, p: &PostSeen<'_>) -> Result<PostModerator, Error> {
        if p.author == self.account_id || self.rank_over(p.agency).is_some() {
            Ok(PostModerator {
                id: p.id,
                by: self.account_id,
            })
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// Proof that the actor keeps one official document's topic (公文主題):
/// edits it, its files, deletes it. Its owner, or an admin over its agency.
///
/// ```compile_fail
/// use portico_core::permission::TopicKeeper;
/// fn forge() -> TopicKeeper {
///     TopicKeeper { id: 1 }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicKeeper {
    id: i64,
}

impl TopicKeeper {
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl Principal {
    /// A topic is kept by its owner and the admins over its agency;
    /// anyone else is told it is not found.
    pub fn topic_keeper(&self, p: &PostSeen<'_>) -> Result<TopicKeeper, Error> {
        if p.author == self.account_id || self.rank_over(p.agency).is_some() {
            Ok(TopicKeeper { id: p.id })
        } else {
            Err(Error::NotFound)
        }
    }
}

/// The right to change one entry of 檔案下載區: its uploader, or an
/// admin over its agency.
///
/// ```compile_fail
/// use portico_core::permission::DownloadKeeper;
/// fn forge() -> DownloadKeeper {
///     DownloadKeeper { id: 1 }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadKeeper {
    id: i64,
}

impl DownloadKeeper {
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl Principal {
    /// An entry is kept by its uploader and the admins over its agency;
    /// anyone else is told it is not found.
    pub fn download_keeper(&self, p: &PostSeen<'_>) -> Result<DownloadKeeper, Error> {
        if p.author == self.account_id || self.rank_over(p.agency).is_some() {
            Ok(DownloadKeeper { id: p.id })
        } else {
            Err(Error::NotFound)
        }
    }
}

impl Unattended {
    /// The demo seeder keeping an entry of 檔案下載區 as its uploader would.
    pub fn download_keeper_for(&self, id: i64) -> DownloadKeeper {
        DownloadKeeper { id }
    }

    /// The demo seeder keeping a topic as its owner would.
    pub fn topic_keeper_for(&self, id: i64) -> TopicKeeper {
        TopicKeeper { id }
    }

    /// The demo seeder writing a post as its author would.
    pub fn post_author_for(&self, id: i64) -> PostAuthor {
        PostAuthor { id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgUnitId;
    use crate::permission::{Role, RoleKind};

    fn p(id: i64, roles: Vec<Role>) -> Principal {
        Principal::unchecked_for_command_line(
            AccountId(id),
            "x".into(),
            "x".into(),
            TreePath::from_stored("/1/2/3/".into()),
            roles,
        )
    }
    fn role(kind: RoleKind, path: &str) -> Role {
        let path = TreePath::from_stored(path.into());
        Role {
            kind,
            scope: Some((OrgUnitId(path.ids().last().map(|i| i.0).unwrap_or(0)), path)),
        }
    }

    #[test]
    fn only_the_author_edits_and_admins_over_the_agency_moderate() {
        let agency = TreePath::from_stored("/1/2/".into());
        let post = PostSeen {
            id: 9,
            author: AccountId(5),
            agency: &agency,
        };
        assert!(p(5, vec![]).post_author(&post).is_ok());
        assert!(p(5, vec![]).post_moderator(&post).is_ok());
        // A reader neither edits nor moderates.
        assert!(matches!(
            p(6, vec![]).post_author(&post),
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            p(6, vec![]).post_moderator(&post),
            Err(Error::Forbidden)
        ));
        // The agency's admin moderates but does not edit another's words.
        let admin = p(7, vec![role(RoleKind::AgencyAdmin, "/1/2/")]);
        assert!(admin.post_moderator(&post).is_ok());
        assert!(admin.post_author(&post).is_err());
        // An admin above the agency moderates; a unit admin inside it and
        // an admin of another agency do not.
        assert!(
            p(8, vec![role(RoleKind::AgencyAdmin, "/1/")])
                .post_moderator(&post)
                .is_ok()
        );
        assert!(
            p(8, vec![role(RoleKind::UnitAdmin, "/1/2/3/")])
                .post_moderator(&post)
                .is_err()
        );
        assert!(
            p(8, vec![role(RoleKind::AgencyAdmin, "/1/4/")])
                .post_moderator(&post)
                .is_err()
        );
        let sys = p(
            9,
            vec![Role {
                kind: RoleKind::SystemAdmin,
                scope: None,
            }],
        );
        assert!(sys.post_moderator(&post).is_ok());
    }
}
