//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let lower = c.to_lowercase();
        // Jaro-Winkler favours shared prefixes; the edit distance catches
        // swapped letters in short words (`wbe` → `web`) that it misses.
        let edits = strsim::osa_distance(&word, &lower);
        let len = word.chars().count().max(lower.chars().count()).max(1);
        let by_edits = 1.0 - edits as f64 / len as f64;
        let score = strsim::jaro_winkler(&word, &lower).max(by_edits);
        let close = score >= 0.8 || edits <= (len / 4).max(1);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `` `a`, `b`, `c` `` for messages.
pub(crate) fn list<'a, I>(items: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    let v: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    if v.is_empty() { "none".to_string() } else { v.join(", ") }
}

/// A help text: "did you mean `x`?" or the list of what exists.
pub(crate) fn help<'a, I>(word: &str, what: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    match closest(word, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("known {what}: {}", list(candidates)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = ["replicas", "resources", "namespace"];
        assert_eq!(closest("replcas", names), Some("replicas"));
        assert_eq!(closest("zzz", names), None);
        assert_eq!(closest("wbe", ["web", "api"]), Some("web"));
        assert_eq!(closest("db", ["web", "api"]), None);
        assert_eq!(help("zzz", "keys", names), "known keys: `replicas`, `resources`, `namespace`");
    }
}
