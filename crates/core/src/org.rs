//! The org tree. 004 §參: the top level is split into 府內單位 (city
//! bureaus), 府外機關 (outside agencies) and 區公所 (district offices); below
//! them stand agencies (機關) and below those their units (單位), to any depth.
//! Every node carries a government OID under its parent's OID.
use crate::ids::OrgUnitId;
use crate::msg::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A top-level tab: 府內單位, 府外機關, 區公所.
    Group,
    /// An agency (機關): the scope of an agency admin.
    Agency,
    /// A unit (單位, 科, 課, 室) inside an agency, possibly nested.
    Unit,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Group => "group",
            OrgKind::Agency => "agency",
            OrgKind::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        match s {
            "group" => Some(OrgKind::Group),
            "agency" => Some(OrgKind::Agency),
            "unit" => Some(OrgKind::Unit),
            _ => None,
        }
    }

    pub fn label(self) -> Msg {
        match self {
            OrgKind::Group => Msg::new("分類", "Group"),
            OrgKind::Agency => Msg::new("機關", "Agency"),
            OrgKind::Unit => Msg::new("單位", "Unit"),
        }
    }

    /// Which kind of node may stand under which.
    pub fn may_be_child_of(self, parent: Option<OrgKind>) -> bool {
        matches!(
            (self, parent),
            (OrgKind::Group, None)
                | (OrgKind::Agency, Some(OrgKind::Group))
                | (OrgKind::Agency, Some(OrgKind::Agency))
                | (OrgKind::Unit, Some(OrgKind::Agency))
                | (OrgKind::Unit, Some(OrgKind::Unit))
        )
    }
}

/// A government object identifier, e.g. `2.16.886.101.20003`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct GovOid(String);

impl GovOid {
    /// An OID in dotted form: at least two arcs of decimal digits without
    /// leading zeros; the first arc 0–2, the second below 40 under 0 and 1.
    pub fn parse(input: &str) -> Result<GovOid, Msg> {
        let s = input.trim();
        let bad = || {
            Msg::new(
                "OID 格式不正確，應為以點分隔的數字，例如 2.16.886.101.90028.1.30",
                "The OID must be dot-separated numbers, e.g. 2.16.886.101.90028.1.30",
            )
        };
        if s.is_empty() {
            return Err(Msg::new(
                "請輸入 OID（以點分隔的數字，例如 2.16.886.101.20003）",
                "Enter the OID (dot-separated numbers, e.g. 2.16.886.101.20003)",
            ));
        }
        if s.len() > 128 {
            return Err(Msg::new(
                "OID 不可超過 128 個字元",
                "The OID must be at most 128 characters",
            ));
        }
        let arcs: Vec<&str> = s.split('.').collect();
        if arcs.len() < 2 {
            return Err(bad());
        }
        let mut values = Vec::with_capacity(arcs.len());
        for a in &arcs {
            if a.is_empty()
                || a.len() > 18
                || !a.bytes().all(|b| b.is_ascii_digit())
                || (a.len() > 1 && a.starts_with('0'))
            {
                return Err(bad());
            }
            values.push(a.parse::<u64>().map_err(|_| bad())?);
        }
        if values[0] > 2 || (values[0] < 2 && values[1] >= 40) {
            return Err(bad());
        }
        Ok(GovOid(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` stands strictly below `parent` in the OID tree.
    pub fn is_under(&self, parent: &GovOid) -> bool {
        self.0.len() > parent.0.len() + 1
            && self.0.starts_with(&parent.0)
            && self.0.as_bytes()[parent.0.len()] == b'.'
    }

    /// The child OID `self.arc`.
    pub fn child(&self, arc: u64) -> GovOid {
        GovOid(format!("{}.{arc}", self.0))
    }
}

impl std::fmt::Display for GovOid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The materialised path of a node: its ancestors' ids and its own,
/// `/3/17/42/`. A subtree is every path with this prefix, which a B-tree index
/// answers as the range `[path, path_end)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TreePath(String);

impl TreePath {
    pub fn root_child(id: OrgUnitId) -> TreePath {
        TreePath(format!("/{id}/"))
    }

    pub fn child(&self, id: OrgUnitId) -> TreePath {
        TreePath(format!("{}{id}/", self.0))
    }

    /// Trusts a path read back from the store.
    pub fn from_stored(s: String) -> TreePath {
        TreePath(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The exclusive upper bound of the subtree range: `/` is followed by `0`
    /// in every encoding, so no path inside the subtree reaches it.
    pub fn range_end(&self) -> String {
        let mut s = self.0.clone();
        s.pop();
        s.push('0');
        s
    }

    /// True when `other` is this node or one of its descendants.
    pub fn contains(&self, other: &TreePath) -> bool {
        other.0.starts_with(&self.0)
    }

    pub fn depth(&self) -> usize {
        self.0.matches('/').count().saturating_sub(1)
    }

    /// The ids from the root down to this node.
    pub fn ids(&self) -> Vec<OrgUnitId> {
        self.0
            .split('/')
            .filter_map(|p| p.parse().ok())
            .map(OrgUnitId)
            .collect()
    }
}

/// Checks a planned move: a node may not move under itself or a descendant.
pub fn check_move(node: &TreePath, new_parent: &TreePath) -> Result<(), Msg> {
    if node.contains(new_parent) {
        return Err(Msg::new(
            "不可將單位移到自己或其下層單位之下",
            "A unit cannot move under itself or one of its own units",
        ));
    }
    Ok(())
}

/// Checks a node's OID against its parent's: it must stand below it.
pub fn check_oid_under_parent(oid: &GovOid, parent: Option<&GovOid>) -> Result<(), Msg> {
    match parent {
        Some(p) if !oid.is_under(p) => Err(Msg::owned(
            format!("OID 須位於上層單位的 OID（{p}）之下"),
            format!("The OID must stand under the parent's OID ({p})"),
        )),
        _ => Ok(()),
    }
}

/// A unit's display name: 1–60 characters.
pub fn parse_unit_name(input: &str) -> Result<String, Msg> {
    crate::text::clean_text(input, 1, 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn oid_accepts_government_oids() {
        assert!(GovOid::parse("2.16.886.101.20003").is_ok());
        assert!(GovOid::parse("2.16.886.101.20003.20001.0").is_ok());
    }

    #[test]
    fn an_empty_oid_is_asked_for_not_called_malformed() {
        let m = GovOid::parse("  ").unwrap_err();
        assert!(m.zh.starts_with("請輸入 OID"), "{}", m.zh);
    }

    #[test]
    fn oid_refuses_malformed_values() {
        for bad in [
            "",
            "2",
            "2.",
            ".2.16",
            "2..16",
            "2.16.886.01",
            "3.1",
            "1.40",
            "2.16.a",
            "2.16.886 .1",
            "2.16.-1",
        ] {
            assert!(GovOid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn child_oid_must_stand_under_parent() {
        let p = GovOid::parse("2.16.886.101.90028").unwrap();
        assert!(
            check_oid_under_parent(&GovOid::parse("2.16.886.101.90028.1").unwrap(), Some(&p))
                .is_ok()
        );
        assert!(
            check_oid_under_parent(&GovOid::parse("2.16.886.101.900281").unwrap(), Some(&p))
                .is_err()
        );
        assert!(
            check_oid_under_parent(&GovOid::parse("2.16.886.101.90028").unwrap(), Some(&p))
                .is_err()
        );
    }

    #[test]
    fn subtree_range_covers_descendants_only() {
        let a = TreePath::root_child(OrgUnitId(1)).child(OrgUnitId(5));
        let inside = a.child(OrgUnitId(23));
        let sibling = TreePath::root_child(OrgUnitId(1)).child(OrgUnitId(50));
        let end = a.range_end();
        assert!(inside.as_str() >= a.as_str() && inside.as_str() < end.as_str());
        assert!(!(sibling.as_str() >= a.as_str() && sibling.as_str() < end.as_str()));
        assert!(a.contains(&inside) && !a.contains(&sibling));
        assert_eq!(
            inside.ids(),
            vec![OrgUnitId(1), OrgUnitId(5), OrgUnitId(23)]
        );
    }

    #[test]
    fn a_node_cannot_move_under_itself() {
        let a = TreePath::root_child(OrgUnitId(1)).child(OrgUnitId(5));
        assert!(check_move(&a, &a.child(OrgUnitId(9))).is_err());
        assert!(check_move(&a, &a).is_err());
        assert!(check_move(&a, &TreePath::root_child(OrgUnitId(2))).is_ok());
    }

    #[test]
    fn kinds_nest_as_the_seed_says() {
        assert!(OrgKind::Group.may_be_child_of(None));
        assert!(OrgKind::Agency.may_be_child_of(Some(OrgKind::Group)));
        assert!(OrgKind::Unit.may_be_child_of(Some(OrgKind::Unit)));
        assert!(!OrgKind::Unit.may_be_child_of(Some(OrgKind::Group)));
        assert!(!OrgKind::Group.may_be_child_of(Some(OrgKind::Agency)));
    }

    proptest! {
        #[test]
        fn oid_parse_accepts_exactly_well_formed_arcs(arcs in prop::collection::vec(0u64..100_000, 2..8)) {
            let s = arcs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(".");
            let expected = arcs[0] <= 2 && (arcs[0] == 2 || arcs[1] < 40);
            prop_assert_eq!(GovOid::parse(&s).is_ok(), expected);
        }

        #[test]
        fn oid_parse_never_panics(s in "\\PC{0,40}") {
            let _ = GovOid::parse(&s);
        }

        #[test]
        fn subtree_range_matches_contains(a in prop::collection::vec(1i64..200, 1..5), b in prop::collection::vec(1i64..200, 1..5)) {
            let mk = |v: &Vec<i64>| v.iter().skip(1).fold(TreePath::root_child(OrgUnitId(v[0])), |p, id| p.child(OrgUnitId(*id)));
            let (pa, pb) = (mk(&a), mk(&b));
            let end = pa.range_end();
            let in_range = pb.as_str() >= pa.as_str() && pb.as_str() < end.as_str();
            prop_assert_eq!(in_range, pa.contains(&pb));
        }
    }
}
