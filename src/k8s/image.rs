//! Container image references, as the container runtimes read them:
//! `[registry[:port]/]path[:tag][@digest]`.
//!
//! One parser for every stage: the version label takes the tag, the W001
//! lint asks whether the reference is pinned (a digest pins it whatever the
//! tag says; a tag pins it unless it is `latest`).

/// The parts of an image reference archctl reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The tag, without the `:`; None when there is none (or it is empty).
    pub tag: Option<&'a str>,
    /// The digest after `@` (`sha256:…`), when there is one.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Splits a reference. A `:` before the last `/` belongs to the
    /// registry's port (`localhost:5000/app` has no tag).
    pub(crate) fn parse(image: &'a str) -> ImageRef<'a> {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        let last = name.rsplit('/').next().unwrap_or(name);
        let tag = last.split_once(':').map(|(_, t)| t).filter(|t| !t.is_empty());
        ImageRef { tag, digest }
    }

    /// Whether every pull gets the same image: a digest, or a tag other
    /// than `latest`.
    pub(crate) fn is_pinned(&self) -> bool {
        self.digest.is_some() || self.tag.is_some_and(|t| t != "latest")
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    #[test]
    fn tags_and_digests() {
        let tag = |i| ImageRef::parse(i).tag;
        assert_eq!(tag("archivist/rag-api:1.4.2"), Some("1.4.2"));
        assert_eq!(tag("localhost:5000/app"), None);
        assert_eq!(tag("localhost:5000/app:v2@sha256:abc"), Some("v2"));
        assert_eq!(tag("redis"), None);
        assert_eq!(tag("redis:"), None);
        assert_eq!(ImageRef::parse("redis@sha256:abc").digest, Some("sha256:abc"));
    }

    #[test]
    fn a_digest_pins_an_image_and_latest_does_not() {
        let pinned = |i| ImageRef::parse(i).is_pinned();
        assert!(pinned("redis:7.2"));
        assert!(pinned("redis@sha256:0123"));
        assert!(pinned("redis:latest@sha256:0123"));
        assert!(!pinned("redis"));
        assert!(!pinned("redis:latest"));
        assert!(!pinned("localhost:5000/redis"));
    }
}
