//! Image captchas the server draws itself (no third-party service: the
//! intranet has none). One use, short-lived; the answer is kept in the
//! database so any node can check it.
use crate::{App, Result, random_token};
use image::{ImageBuffer, Rgb, RgbImage};
use portico_core::Error;

/// Characters that cannot be mistaken for each other (no 0/O, 1/I/L, 2/Z,
/// 5/S, 8/B).
const ALPHABET: &[u8] = b"ACDEFHJKMNPRTUVWXY34679";
const LEN: usize = 5;
pub const LIFETIME_MINUTES: i64 = 5;

/// 5×7 bitmaps of the alphabet.
fn glyph(c: u8) -> [&'static str; 7] {
    match c {
        b'A' => [
            ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ],
        b'C' => [
            ".####", "#....", "#....", "#....", "#....", "#....", ".####",
        ],
        b'D' => [
            "####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####.",
        ],
        b'E' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#####",
        ],
        b'F' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#....",
        ],
        b'H' => [
            "#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ],
        b'J' => [
            "..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##..",
        ],
        b'K' => [
            "#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#",
        ],
        b'M' => [
            "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#",
        ],
        b'N' => [
            "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#",
        ],
        b'P' => [
            "####.", "#...#", "#...#", "####.", "#....", "#....", "#....",
        ],
        b'R' => [
            "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#",
        ],
        b'T' => [
            "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..",
        ],
        b'U' => [
            "#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.",
        ],
        b'V' => [
            "#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#..",
        ],
        b'W' => [
            "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "##.##", "#...#",
        ],
        b'X' => [
            "#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#",
        ],
        b'Y' => [
            "#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#..",
        ],
        b'3' => [
            "####.", "....#", "....#", ".###.", "....#", "....#", "####.",
        ],
        b'4' => [
            "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#.",
        ],
        b'6' => [
            ".###.", "#....", "#....", "####.", "#...#", "#...#", ".###.",
        ],
        b'7' => [
            "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#...",
        ],
        _ => [
            ".###.", "#...#", "#...#", ".####", "....#", "....#", ".###.",
        ], // 9
    }
}

/// A small deterministic generator seeded from the OS: enough to scatter
/// pixels; the answer itself comes from the OS directly.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, n: u64) -> i64 {
        (self.next() % n.max(1)) as i64
    }
}

fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(b)
}

/// Draws `answer` as a PNG: dark glyphs with per-character offsets and
/// slant, crossing lines and speckle, on a light background. Contrast stays
/// high enough to read (WCAG asks for a text alternative, which the page's
/// refresh and audio-free instructions provide).
pub fn render(answer: &str, seed: u64) -> Result<Vec<u8>> {
    const W: u32 = 180;
    const H: u32 = 60;
    let mut rng = Jitter(seed | 1);
    let mut img: RgbImage = ImageBuffer::from_pixel(W, H, Rgb([246, 248, 250]));
    let put = |img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>| {
        if x >= 0 && y >= 0 && (x as u32) < W && (y as u32) < H {
            img.put_pixel(x as u32, y as u32, c);
        }
    };
    for _ in 0..500 {
        let (x, y) = (rng.range(u64::from(W)), rng.range(u64::from(H)));
        let g = 150 + rng.range(80) as u8;
        put(&mut img, x, y, Rgb([g, g, g]));
    }
    for (i, ch) in answer.bytes().enumerate() {
        let scale = 5;
        let x0 = 12 + i as i64 * 32 + rng.range(6);
        let y0 = 6 + rng.range(12);
        let slant = rng.range(5) - 2; // pixels of shear over the glyph's height
        let color = Rgb([
            20 + rng.range(60) as u8,
            30 + rng.range(60) as u8,
            80 + rng.range(80) as u8,
        ]);
        for (row, bits) in glyph(ch).iter().enumerate() {
            for (col, b) in bits.bytes().enumerate() {
                if b != b'#' {
                    continue;
                }
                let shear = slant * (6 - row as i64) / 2;
                for dy in 0..scale {
                    for dx in 0..scale - 1 {
                        put(
                            &mut img,
                            x0 + col as i64 * (scale - 1) + dx + shear,
                            y0 + row as i64 * scale + dy - 2,
                            color,
                        );
                    }
                }
            }
        }
    }
    for _ in 0..4 {
        let (mut x, mut y) = (0i64, rng.range(u64::from(H)));
        let dy = rng.range(5) - 2;
        let c = Rgb([
            90 + rng.range(60) as u8,
            90 + rng.range(60) as u8,
            110 + rng.range(60) as u8,
        ]);
        while x < i64::from(W) {
            put(&mut img, x, y, c);
            put(&mut img, x, y + 1, c);
            x += 1;
            if x % 18 == 0 {
                y += dy;
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::internal(format!("png: {e}")))?;
    Ok(out.into_inner())
}

/// A wrong or stale captcha answer.
pub fn wrong_captcha() -> portico_core::Msg {
    portico_core::Msg::new(
        "驗證碼錯誤或已過期，請重新輸入新的驗證碼",
        "The captcha is wrong or expired; enter the new one",
    )
}

impl App {
    /// Creates a new one-use captcha and returns its id; the picture is
    /// drawn from the stored answer by [`App::captcha_png`].
    pub async fn new_captcha(&self) -> Result<String> {
        let bytes = random_bytes(LEN)?;
        let answer: String = bytes
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let id = random_token(16)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        portico_store::captchas::delete_expired(&mut tx, now).await?;
        portico_store::captchas::insert(
            &mut tx,
            &id,
            &answer,
            now + time::Duration::minutes(LIFETIME_MINUTES),
        )
        .await?;
        tx.commit().await.map_err(portico_store::db_err)?;
        Ok(id)
    }

    /// The captcha's picture, while it is unspent and fresh.
    pub async fn captcha_png(&self, id: &str) -> Result<Option<Vec<u8>>> {
        if id.is_empty() || id.len() > 64 {
            return Ok(None);
        }
        let Some((answer, expires)) =
            portico_store::captchas::peek(&mut *self.db.read().await?, id).await?
        else {
            return Ok(None);
        };
        if expires <= self.now() {
            return Ok(None);
        }
        let seed = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        render(&answer, seed).map(Some)
    }

    /// Spends a captcha in its own transaction, so a wrong answer cannot
    /// be tried again: the field error `captcha` when it was wrong.
    pub(crate) async fn captcha_checked(&self, id: &str, answer: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let ok = self.spend_captcha(&mut tx, id, answer).await?;
        tx.commit().await.map_err(portico_store::db_err)?;
        if ok {
            Ok(())
        } else {
            Err(Error::invalid("captcha", wrong_captcha()))
        }
    }

    /// Spends a captcha: true when the answer matches (case-insensitive) and
    /// it has not expired. Spent either way.
    pub(crate) async fn spend_captcha(
        &self,
        c: &mut portico_store::Conn,
        id: &str,
        answer: &str,
    ) -> Result<bool> {
        if id.is_empty() || id.len() > 64 {
            return Ok(false);
        }
        Ok(match portico_store::captchas::take(c, id).await? {
            Some((want, expires)) => {
                expires > self.now() && want.eq_ignore_ascii_case(answer.trim())
            }
            None => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_png_of_the_expected_size() {
        let png = render("AC349", 42).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (180, 60));
    }

    #[test]
    fn alphabet_has_a_glyph_for_every_character() {
        for c in ALPHABET {
            let g = glyph(*c);
            assert!(g.iter().all(|r| r.len() == 5), "{}", *c as char);
        }
        // The fallback glyph is the 9's; nothing else may fall through to it.
        let nines = ALPHABET
            .iter()
            .filter(|c| glyph(**c) == glyph(b'9'))
            .count();
        assert_eq!(nines, 1);
    }
}
