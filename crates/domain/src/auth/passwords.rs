//! Password hashing with argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1), on a few threads
//! of its own: each hash holds ~19 MiB, so a flood of sign-ins must queue rather than exhaust
//! memory or take the blocking threads other requests need. Dedicated threads also bound what the
//! allocator keeps: on actix's blocking pool, each of its many threads kept its own 19 MiB after
//! hashing, and a flood left the process at ~760 MiB (`cargo bench --bench login`).

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};

/// Hashes and verifies passwords, bounded in how many run at once.
#[derive(Clone)]
pub struct Passwords {
    threads: Arc<rayon::ThreadPool>,
    /// A real hash of a random password: an unknown email is checked against it, so that it costs
    /// the same time as a wrong password and reveals nothing.
    dummy_hash: Arc<String>,
}

/// Hash a password now, on this thread (for the CLI and start-up).
pub fn hash_now(password: &str) -> ApiResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing a password failed: {e}")))
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Passwords {
    /// A hasher running at most `max_concurrent` hashes at once, on that many threads.
    pub fn new(max_concurrent: usize) -> ApiResult<Self> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(max_concurrent.max(1))
            .thread_name(|i| format!("tpms-argon2-{i}"))
            .build()
            .map_err(ApiError::internal)?;
        let dummy = crate::auth::tokens::random_token();
        Ok(Self {
            threads: Arc::new(threads),
            dummy_hash: Arc::new(hash_now(&dummy)?),
        })
    }

    /// Queue `work` for the hashing threads and wait for it without blocking the async worker.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        let (done, result) = oneshot::channel();
        self.threads.spawn(move || {
            // The receiver is gone only if the request was dropped; nothing is left to tell.
            let _ = done.send(work());
        });
        result
            .await
            .map_err(|_| ApiError::internal(anyhow::anyhow!("a password-hashing thread stopped")))
    }

    /// Hash a new password.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `hash`; with no hash (no such account), checks against the dummy
    /// hash and answers false, in the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        let matches = self.run(move || verify_now(&password, &hash)).await?;
        Ok(known && matches)
    }
}
