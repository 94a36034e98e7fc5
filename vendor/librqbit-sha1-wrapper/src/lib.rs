//! librqbit's hashing interface (`ISha1`, `ISha256`, `Sha1`, `Sha256`) on
//! ring's digests, so fanout's torrents hash pieces with the ring it
//! already builds for rustls, not OpenSSL or aws-lc-rs.

use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY, SHA256};

pub trait ISha1 {
    fn new() -> Self;
    fn update(&mut self, buf: &[u8]);
    fn finish(self) -> [u8; 20];
}

/// SHA-256 hash trait for BEP 52 (BitTorrent v2) support.
pub trait ISha256 {
    fn new() -> Self;
    fn update(&mut self, buf: &[u8]);
    fn finish(self) -> [u8; 32];

    fn finish_id32(self) -> [u8; 32]
    where
        Self: Sized,
    {
        self.finish()
    }
}

pub struct Sha1 {
    ctx: Context,
}

impl ISha1 for Sha1 {
    fn new() -> Self {
        Self {
            ctx: Context::new(&SHA1_FOR_LEGACY_USE_ONLY),
        }
    }

    fn update(&mut self, buf: &[u8]) {
        self.ctx.update(buf);
    }

    fn finish(self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out.copy_from_slice(self.ctx.finish().as_ref());
        out
    }
}

pub struct Sha256 {
    ctx: Context,
}

impl ISha256 for Sha256 {
    fn new() -> Self {
        Self {
            ctx: Context::new(&SHA256),
        }
    }

    fn update(&mut self, buf: &[u8]) {
        self.ctx.update(buf);
    }

    fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.ctx.finish().as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_of_abc() {
        let mut h = <Sha1 as ISha1>::new();
        h.update(b"abc");
        let got = h.finish();
        assert_eq!(got[..4], [0xa9, 0x99, 0x3e, 0x36]);
    }
}
