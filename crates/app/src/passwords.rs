//! Password hashing: Argon2id at the OWASP parameters (m = 19 MiB, t = 2,
//! p = 1), on the blocking pool so the async workers keep serving.
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use portico_core::{Error, Result};
use std::sync::Arc;

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A real hash of a random password, verified against when an account
    /// does not exist, so a wrong login name takes as long as a wrong
    /// password.
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Hasher(m={}, t={}, p={})",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        )
    }
}

impl Hasher {
    /// OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 passes, 1 lane.
    pub fn owasp() -> Hasher {
        Hasher::with_params(19 * 1024, 2, 1)
    }

    pub fn with_params(m_kib: u32, t: u32, p: u32) -> Hasher {
        let params = Params::new(m_kib, t, p, None).unwrap_or_default();
        let mut h = Hasher {
            params,
            dummy: Arc::new(String::new()),
        };
        let salt_src = crate::random_token(16).unwrap_or_else(|_| "portico-dummy".into());
        h.dummy = Arc::new(h.hash_now(&salt_src).unwrap_or_default());
        h
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes on the current thread (for the CLI, the seeder and benchmarks).
    pub fn hash_now(&self, password: &str) -> Result<String> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
        let h = self
            .argon()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| Error::internal(format!("hashing: {e}")))?;
        Ok(h.to_string())
    }

    /// Verifies on the current thread. A malformed stored hash never matches.
    pub fn verify_now(&self, password: &str, stored: &str) -> bool {
        match PasswordHash::new(stored) {
            Ok(h) => self
                .argon()
                .verify_password(password.as_bytes(), &h)
                .is_ok(),
            Err(_) => false,
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String> {
        let (h, p) = (self.clone(), password.to_owned());
        tokio::task::spawn_blocking(move || h.hash_now(&p))
            .await
            .map_err(|e| Error::internal(format!("hash task: {e}")))?
    }

    /// Verifies against `stored`, or against the dummy hash when there is
    /// none (always false then, in the same time).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let (h, p) = (self.clone(), password.to_owned());
        let stored = stored.map(str::to_owned);
        tokio::task::spawn_blocking(move || match stored {
            Some(s) => h.verify_now(&p, &s),
            None => {
                let _ = h.verify_now(&p, &h.dummy);
                false
            }
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let h = Hasher::owasp();
        let s = h.hash_now("Tainan#2024").unwrap();
        assert!(s.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{s}");
        assert!(h.verify_now("Tainan#2024", &s));
        assert!(!h.verify_now("Tainan#2025", &s));
        assert!(!h.verify_now("Tainan#2024", "not a hash"));
    }
}
