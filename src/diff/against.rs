//! `diff --against PATH`: manifests on disk stand in for the cluster.

use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

use super::cluster::{Cluster, ClusterError, Resource, Served};

/// The most one manifest file may hold.
const MAX_FILE: u64 = 64 << 20;

/// Objects read from a folder or a multi-document file.
pub(crate) struct Manifests {
    objects: Vec<Value>,
}

impl Manifests {
    /// Reads every `.yaml`, `.yml` and `.json` file of a folder (recursively,
    /// never following a symbolic link to a folder), or one file (`-` or
    /// `/dev/stdin`: standard input, with the same bound); `kind: List`
    /// documents (kubectl get -o yaml) are opened.
    pub(crate) fn read(path: &Path) -> anyhow::Result<Manifests> {
        let mut files = Vec::new();
        if path.is_dir() {
            let mut stack = vec![path.to_path_buf()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).with_context(|| format!("cannot read `{}`", dir.display()))? {
                    let e = e?;
                    let p = e.path();
                    if e.file_type()?.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json") {
                        files.push(p);
                    }
                }
            }
            files.sort();
        } else if path == Path::new("-") {
            // standard input, with the same bound as a file
            files.push(std::path::PathBuf::from("/dev/stdin"));
        } else {
            files.push(path.to_path_buf());
        }
        let mut objects = Vec::new();
        for f in files {
            let bytes = crate::load::input::read_bytes(&f, MAX_FILE, true)
                .with_context(|| format!("cannot read `{}`", f.display()))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!("`{}` is not UTF-8 text (at byte {})", f.display(), e.utf8_error().valid_up_to())
            })?;
            // the reader's errors name the place and the bound, never the
            // text: the file may hold Secrets
            let docs =
                crate::emit::yaml::parse_stream(&text).map_err(|e| anyhow::anyhow!("`{}` is {e}", f.display()))?;
            for d in docs {
                if d["kind"] == "List"
                    || d["kind"].as_str().is_some_and(|k| k.ends_with("List")) && d["items"].is_array()
                {
                    objects.extend(d["items"].as_array().into_iter().flatten().cloned());
                } else if d.is_object() {
                    objects.push(d);
                }
            }
        }
        Ok(Manifests { objects })
    }

    /// Objects already read (`import` diffs the input it read).
    pub(crate) fn new(objects: Vec<Value>) -> Manifests {
        Manifests { objects }
    }

    /// The objects, in the order read.
    pub(crate) fn into_objects(self) -> Vec<Value> {
        self.objects
    }

    fn matches(o: &Value, kind: &Resource, namespace: Option<&str>) -> bool {
        let api = o["apiVersion"].as_str().unwrap_or("");
        let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        o["kind"] == kind.kind.as_str()
            && group == kind.group
            && (!kind.namespaced || namespace.is_none() || o["metadata"]["namespace"].as_str() == namespace)
    }
}

/// `a=b,c=d` selectors: every pair must match.
fn selects(o: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| match term.split_once('=') {
        Some((k, v)) => o["metadata"]["labels"][k.trim()].as_str() == Some(v.trim()),
        None => o["metadata"]["labels"].get(term.trim()).is_some(),
    })
}

impl Cluster for Manifests {
    async fn discover(&self) -> Result<Option<Served>, ClusterError> {
        Ok(None)
    }

    async fn list(&self, kind: &Resource, namespace: Option<&str>, selector: &str) -> Result<Vec<Value>, ClusterError> {
        Ok(self.objects.iter().filter(|o| Self::matches(o, kind, namespace) && selects(o, selector)).cloned().collect())
    }

    async fn get(&self, kind: &Resource, namespace: Option<&str>, name: &str) -> Result<Option<Value>, ClusterError> {
        Ok(self.objects.iter().find(|o| Self::matches(o, kind, namespace) && o["metadata"]["name"] == name).cloned())
    }

    async fn dry_run_apply(
        &self,
        _kind: &Resource,
        _object: &Value,
        _force: bool,
    ) -> Result<Option<Value>, ClusterError> {
        // files cannot apply: compare what the render sets
        Ok(None)
    }
}
