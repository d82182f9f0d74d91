//! The home page's layout, saved per person (issue 17; seed 004 第三節 貳
//! 二 自訂儀表板編輯): two ways to arrange the same nine blocks —
//! 經典款 (one after another, each shown or hidden) and 自訂儀表板 (a 3×3
//! grid, a block to a cell) — each with its own arrangement and its own
//! 恢復預設.
use crate::msg::Msg;
use crate::office::Source;

/// One block of the home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Office(Source),
    /// 首頁橫幅.
    Banners,
    /// 最新公告 (the portal's own announcements).
    Posts,
    /// 市府資訊 (the city website's feeds).
    Feeds,
    /// 應用程式儀表板.
    Apps,
}

/// Nine blocks, nine cells.
pub const PARTS: usize = 9;

impl Part {
    /// The default order: 訊息介接 first, as the seed's figure 27 has it.
    pub const ALL: [Part; PARTS] = [
        Part::Office(Source::Mail),
        Part::Office(Source::Documents),
        Part::Office(Source::Petitions),
        Part::Office(Source::Attendance),
        Part::Office(Source::Punches),
        Part::Banners,
        Part::Posts,
        Part::Feeds,
        Part::Apps,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Part::Office(s) => s.key(),
            Part::Banners => "banners",
            Part::Posts => "posts",
            Part::Feeds => "feeds",
            Part::Apps => "apps",
        }
    }

    pub fn parse(s: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.key() == s)
    }

    pub fn label(self) -> Msg {
        match self {
            Part::Office(s) => s.label(),
            Part::Banners => Msg::new("首頁橫幅", "Banners"),
            Part::Posts => Msg::new("最新公告", "Latest announcements"),
            Part::Feeds => Msg::new("市府資訊", "City news"),
            Part::Apps => Msg::new("應用程式儀表板", "Applications"),
        }
    }
}

/// 經典款 or 自訂儀表板.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Classic,
    Grid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Classic => "classic",
            Mode::Grid => "grid",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "classic" => Some(Mode::Classic),
            "grid" => Some(Mode::Grid),
            _ => None,
        }
    }
    pub fn label(self) -> Msg {
        match self {
            Mode::Classic => Msg::new("經典款", "Classic"),
            Mode::Grid => Msg::new("自訂儀表板", "Custom dashboard"),
        }
    }
}

/// The nine blocks in order (經典款: top to bottom; 自訂儀表板: the cells
/// row by row), each shown or hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    pub order: [Part; PARTS],
    pub shown: [bool; PARTS],
}

impl Default for Arrangement {
    fn default() -> Arrangement {
        Arrangement {
            order: Part::ALL,
            shown: [true; PARTS],
        }
    }
}

impl Arrangement {
    /// As stored: `mail,documents,!petitions,…` (`!` hides a block).
    pub fn to_text(&self) -> String {
        self.order
            .iter()
            .zip(self.shown)
            .map(|(p, s)| {
                if s {
                    p.key().to_owned()
                } else {
                    format!("!{}", p.key())
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// What was stored; a block added since is appended, one no longer
    /// known is dropped, so an old saved layout still reads.
    pub fn from_text(s: &str) -> Arrangement {
        let mut order = Vec::new();
        let mut shown = Vec::new();
        for item in s.split(',') {
            let (hidden, key) = match item.strip_prefix('!') {
                Some(k) => (true, k),
                None => (false, item),
            };
            if let Some(p) = Part::parse(key.trim())
                && !order.contains(&p)
            {
                order.push(p);
                shown.push(!hidden);
            }
        }
        for p in Part::ALL {
            if !order.contains(&p) {
                order.push(p);
                shown.push(true);
            }
        }
        Arrangement {
            order: order.try_into().unwrap_or(Part::ALL),
            shown: shown.try_into().unwrap_or([true; PARTS]),
        }
    }

    /// From the editor's form: each block's position (1–9) and whether it
    /// is shown. Every block needs a position of its own.
    pub fn from_form(positions: &[(Part, &str)], shown: &[Part]) -> Result<Arrangement, Msg> {
        let mut cells: [Option<Part>; PARTS] = [None; PARTS];
        for p in Part::ALL {
            let Some((_, pos)) = positions.iter().find(|(x, _)| *x == p) else {
                return Err(Msg::owned(
                    format!("請為「{}」選擇位置", p.label().zh),
                    format!("Choose a place for “{}”", p.label().en),
                ));
            };
            let n: usize = match pos.trim().parse() {
                Ok(n) if (1..=PARTS).contains(&n) => n,
                _ => {
                    return Err(Msg::owned(
                        format!("「{}」的位置須為 1 到 9", p.label().zh),
                        format!("The place of “{}” must be 1 to 9", p.label().en),
                    ));
                }
            };
            if let Some(other) = cells[n - 1] {
                return Err(Msg::owned(
                    format!(
                        "「{}」與「{}」不能放在同一個位置（第 {n} 格），請為其中一個另選位置",
                        other.label().zh,
                        p.label().zh
                    ),
                    format!(
                        "“{}” and “{}” cannot share place {n}; choose another place for one of them",
                        other.label().en,
                        p.label().en
                    ),
                ));
            }
            cells[n - 1] = Some(p);
        }
        let order = cells.map(|c| c.unwrap_or(Part::Apps));
        Ok(Arrangement {
            order,
            shown: order.map(|p| shown.contains(&p)),
        })
    }

    /// The shown blocks, in order.
    pub fn visible(&self) -> Vec<Part> {
        self.order
            .iter()
            .zip(self.shown)
            .filter(|(_, s)| *s)
            .map(|(p, _)| *p)
            .collect()
    }

    /// Each cell's block, `None` where the block there is hidden.
    pub fn cells(&self) -> Vec<Option<Part>> {
        self.order
            .iter()
            .zip(self.shown)
            .map(|(p, s)| s.then_some(*p))
            .collect()
    }
}

/// A person's layout: the mode in use and both arrangements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    pub mode: Mode,
    pub classic: Arrangement,
    pub grid: Arrangement,
}

impl Layout {
    pub fn current(&self) -> &Arrangement {
        match self.mode {
            Mode::Classic => &self.classic,
            Mode::Grid => &self.grid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arrangement_round_trips_and_an_old_one_still_reads() {
        let mut a = Arrangement::default();
        a.order.swap(0, 8);
        a.shown[2] = false;
        assert_eq!(Arrangement::from_text(&a.to_text()), a);
        // An unknown block goes, a missing one comes back at the end.
        let old = Arrangement::from_text("apps,!mail,weather,posts");
        assert_eq!(
            &old.order[..3],
            &[Part::Apps, Part::Office(Source::Mail), Part::Posts]
        );
        assert!(!old.shown[1]);
        assert_eq!(old.order.len(), PARTS);
        assert_eq!(Arrangement::from_text(""), Arrangement::default());
    }

    #[test]
    fn two_blocks_cannot_share_a_cell() {
        let keys: Vec<(Part, String)> = Part::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, (PARTS - i).to_string()))
            .collect();
        let pos: Vec<(Part, &str)> = keys.iter().map(|(p, s)| (*p, s.as_str())).collect();
        let a = Arrangement::from_form(&pos, &[Part::Posts]).unwrap();
        assert_eq!(a.order[0], Part::Apps, "the reverse order");
        assert_eq!(a.visible(), vec![Part::Posts]);
        assert_eq!(a.cells().iter().filter(|c| c.is_some()).count(), 1);

        let mut clash = pos.clone();
        clash[1].1 = "9";
        let e = Arrangement::from_form(&clash, &[]).unwrap_err();
        assert!(
            e.zh.contains("同一個位置") && e.zh.contains("第 9 格"),
            "{}",
            e.zh
        );
        let mut off = pos.clone();
        off[0].1 = "10";
        assert!(Arrangement::from_form(&off, &[]).is_err());
        assert!(
            Arrangement::from_form(&pos[1..], &[]).is_err(),
            "a block without a place"
        );
    }
}
