//! minijinja expressions in string values (`"{{ registry }}/api:{{ tag }}"`).
//!
//! Every string of the merged topology is a template, except the values of
//! `[vars]` themselves. Undefined variables are errors, not empty strings,
//! and rendering runs with a fuel limit and no loader, so a template can
//! neither loop forever nor read files.

use minijinja::{Environment, ErrorKind, UndefinedBehavior};

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;

/// Instructions a single string may spend; plenty for expressions, too few
/// for a runaway loop.
const FUEL: u64 = 50_000;

/// Expands every templated string in `root`; `profile` is exposed to
/// templates as `profile`, and each service named in `pools` sees its pool
/// name as `pool`.
pub(crate) fn expand(
    root: &mut toml::Table,
    profile: Option<&str>,
    pools: &indexmap::IndexMap<String, String>,
) -> Result<Expanded, Vec<Diagnostic>> {
    let templates = Templates::new(root, profile);
    let mut problems = Problems::default();
    for (k, v) in root.iter_mut() {
        if k == "vars" {
            continue;
        }
        match v {
            toml::Value::Table(services) if k == "services" && !pools.is_empty() => {
                for (name, svc) in services.iter_mut() {
                    templates.walk_service(name, svc, pools.get(name).map(String::as_str), &mut problems);
                }
            }
            _ => walk(v, &At::Key(&At::Root, k), &templates.global.with(&templates.env), &mut problems),
        }
    }
    problems.finish()
}

/// The variables of a topology's templates, to expand its values one at a
/// time (and on several threads: the loader expands each service apart).
pub(crate) struct Templates {
    env: Environment<'static>,
    global: Scope,
}

impl Templates {
    /// The templates of the merged `root` (its `[vars]`, `phase` and
    /// project name), under `profile`.
    pub(crate) fn new(root: &toml::Table, profile: Option<&str>) -> Self {
        let mut vars = match root.get("vars") {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => toml::Table::new(),
        };
        vars.entry("profile").or_insert_with(|| toml::Value::String(profile.unwrap_or("").to_string()));
        // the phase that will be rendered: the selected one, else the first
        let phase = root.get("phase").cloned().or_else(|| root.get("phases").and_then(|p| p.get(0)).cloned());
        if let Some(phase) = phase {
            vars.entry("phase").or_insert(phase);
        }
        if let Some(name) = root.get("project").and_then(|p| p.get("name")).and_then(|n| n.as_str()) {
            vars.entry("project").or_insert_with(|| toml::Value::String(name.to_string()));
        }

        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build() {
            env.set_syntax(syntax);
        }
        Templates { env, global: Scope::new(vars) }
    }

    /// Expands the templates of service `name` (`[services.NAME]`), which
    /// sees `pool` when it is a pool's service.
    pub(crate) fn service(
        &self,
        name: &str,
        service: &mut toml::Value,
        pool: Option<&str>,
    ) -> Result<Expanded, Vec<Diagnostic>> {
        let mut problems = Problems::default();
        self.walk_service(name, service, pool, &mut problems);
        problems.finish()
    }

    fn walk_service(&self, name: &str, service: &mut toml::Value, pool: Option<&str>, problems: &mut Problems) {
        let at = At::Key(&At::Key(&At::Root, "services"), name);
        match pool {
            Some(pool) => {
                let mut with_pool = self.global.vars.clone();
                with_pool.insert("pool".into(), toml::Value::String(pool.to_string()));
                walk(service, &at, &Scope::new(with_pool).with(&self.env), problems);
            }
            None => walk(service, &at, &self.global.with(&self.env), problems),
        }
    }
}

/// What expansion found out about the templates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expanded {
    /// Whether a template mentions `phase` (conservatively: the word
    /// appears in it), so that its value may depend on the phase.
    pub mentions_phase: bool,
}

/// What the walk collects.
#[derive(Default)]
struct Problems {
    found: Vec<Diagnostic>,
    mentions_phase: bool,
}

impl Problems {
    fn finish(self) -> Result<Expanded, Vec<Diagnostic>> {
        if self.found.is_empty() { Ok(Expanded { mentions_phase: self.mentions_phase }) } else { Err(self.found) }
    }
}

/// The variables templates see, for minijinja and for [`substitute`].
struct Scope {
    vars: toml::Table,
    ctx: minijinja::Value,
}

impl Scope {
    fn new(vars: toml::Table) -> Self {
        let ctx = minijinja::Value::from(minijinja::value::Serde(&vars));
        Scope { vars, ctx }
    }

    fn with<'s>(&'s self, env: &'s Environment<'static>) -> InEnv<'s> {
        InEnv { env, scope: self }
    }
}

/// A scope with the environment that renders it.
struct InEnv<'s> {
    env: &'s Environment<'static>,
    scope: &'s Scope,
}

/// Where a value sits, turned into a [`TomlPath`] only for a diagnostic
/// (building the path of every value of a large topology cost more than
/// expanding its templates).
enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn path(&self) -> TomlPath {
        match self {
            At::Root => TomlPath::root(),
            At::Key(parent, k) => parent.path().key(k.to_string()),
            At::Index(parent, i) => parent.path().index(*i),
        }
    }
}

fn walk(v: &mut toml::Value, at: &At<'_>, scope: &InEnv<'_>, problems: &mut Problems) {
    match v {
        toml::Value::String(s) if is_template(s) => {
            problems.mentions_phase |= s.contains("phase");
            if let Some(out) = substitute(s, &scope.scope.vars) {
                *s = out;
                return;
            }
            match scope.env.render_str(s, &scope.scope.ctx) {
                Ok(out) => *s = out,
                Err(e) => {
                    let names: Vec<String> = scope.scope.vars.keys().cloned().collect();
                    problems.found.push(template_error(&e, &at.path(), &names));
                }
            }
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &At::Index(at, i), scope, problems);
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t.iter_mut() {
                walk(item, &At::Key(at, k), scope, problems);
            }
        }
        _ => {}
    }
}

/// Whether `s` holds a minijinja delimiter (`{{`, `{%` or `{#`): one pass
/// over the bytes, since a substring search costs more to set up than most
/// strings of a topology take to scan.
pub(crate) fn is_template(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%' | b'#'))
}

/// Expands a template made only of text and `{{ name }}` of string
/// variables, the shape of nearly every template in a topology, without
/// minijinja, which compiles each string anew: that was most of the time
/// spent on templates at fleet scale. The result is what minijinja renders
/// (the text as it is, each variable's string as it is). Anything else —
/// blocks, comments, whitespace control, expressions, filters, keywords,
/// variables that are undefined or not strings — gives None, and minijinja
/// renders the string (or reports its error).
fn substitute(s: &str, vars: &toml::Table) -> Option<String> {
    if s.contains("{%") || s.contains("{#") {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 64);
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let inner = &rest[open + 2..];
        let close = inner.find("}}")?;
        let name = inner[..close].trim_matches(|c| c == ' ' || c == '\t');
        let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain || KEYWORDS.contains(&name) {
            return None;
        }
        let toml::Value::String(value) = vars.get(name)? else { return None };
        out.push_str(value);
        rest = &inner[close + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// Words minijinja reads as something other than a plain variable.
const KEYWORDS: &[&str] =
    &["true", "false", "none", "True", "False", "None", "not", "and", "or", "in", "is", "if", "else", "loop", "self"];

fn template_error(e: &minijinja::Error, path: &TomlPath, names: &[String]) -> Diagnostic {
    let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string());
    let (message, help) = match e.kind() {
        ErrorKind::UndefinedError => (
            format!("template in `{path}` uses an undefined variable"),
            format!(
                "define it under `[vars]` in the topology or the profile; defined: {}",
                suggest::list(names.iter().map(String::as_str))
            ),
        ),
        ErrorKind::SyntaxError => (
            format!("template syntax error in `{path}`: {detail}"),
            "expressions are written `{{ name }}`; to keep braces literally use `{% raw %}…{% endraw %}`".to_string(),
        ),
        ErrorKind::OutOfFuel => (
            format!("template in `{path}` runs too long"),
            "templates in a topology are for short expressions; move loops out of the topology".to_string(),
        ),
        _ => (
            format!("template in `{path}` failed: {detail}"),
            "check the expression and the variables it uses".to_string(),
        ),
    };
    Diagnostic::error("E007", message).at(path).with_label(detail).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn templates_are_strings_with_a_delimiter() {
        for yes in ["{{ x }}", "a{%b", "{#", "x{{", "{{"] {
            assert!(is_template(yes), "{yes}");
        }
        for no in ["", "{", "}", "{x}", "{ {", "a}}", "%}{", "{}"] {
            assert!(!is_template(no), "{no}");
        }
    }

    #[test]
    fn expands_vars_profile_and_leaves_vars_alone() {
        let mut t = table(
            r#"
            vars = { registry = "ghcr.io/acme", tag = "1.2.3", raw = "{{ x }}" }
            image = "{{ registry }}/api:{{ tag }}"
            list = ["{{ profile }}"]
            "#,
        );
        expand(&mut t, Some("production"), &Default::default()).unwrap();
        assert_eq!(t["image"].as_str(), Some("ghcr.io/acme/api:1.2.3"));
        assert_eq!(t["list"][0].as_str(), Some("production"));
        assert_eq!(t["vars"]["raw"].as_str(), Some("{{ x }}"));
    }

    #[test]
    fn undefined_variables_are_located_errors() {
        let mut t = table("[a]\nimage = \"{{ missing }}\"\n");
        let errs = expand(&mut t, None, &Default::default()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, "E007");
        assert!(errs[0].message.contains("a.image"), "{}", errs[0].message);
    }

    #[test]
    fn templates_cannot_read_files() {
        for src in
            ["{% include \"/etc/passwd\" %}", "{% import \"archctl.toml\" as x %}", "{% extends \"../secret\" %}"]
        {
            let mut t = table(&format!("x = '{src}'\n"));
            let errs = expand(&mut t, None, &Default::default()).unwrap_err();
            assert_eq!(errs[0].code, "E007", "{src}");
        }
    }

    #[test]
    fn plain_substitution_gives_what_minijinja_renders() {
        let vars =
            table(r#"vars = { registry = "ghcr.io/acme", tag = "1.2.3", n = 3, true = "t", empty = "", nl = "a\nb" }"#);
        let vars = vars["vars"].as_table().unwrap().clone();
        for case in [
            "{{ registry }}/api:{{ tag }}",
            "{{registry}}",
            "a {{ empty }} b",
            "{{ nl }}\n",
            "x }} {{ tag }} }}",
            "{{\ttag }}",
        ] {
            assert!(substitute(case, &vars).is_some(), "{case:?} takes the fast path");
            // minijinja's own rendering of the same template
            let mut env = Environment::new();
            env.set_syntax(minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build().unwrap());
            let ctx = minijinja::Value::from(minijinja::value::Serde(&vars));
            assert_eq!(substitute(case, &vars).unwrap(), env.render_str(case, ctx).unwrap(), "{case:?}");
        }
        for slow in [
            "{{ n }}",
            "{{ true }}",
            "{{ tag | upper }}",
            "{{- tag }}",
            "{% if x %}x{% endif %}",
            "{{ missing }}",
            "{{ a.b }}",
            "{{ tag ",
        ] {
            assert_eq!(substitute(slow, &vars), None, "{slow:?}");
        }
    }

    #[test]
    fn runaway_loops_run_out_of_fuel() {
        let mut t =
            table("x = \"{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}\"\n");
        let errs = expand(&mut t, None, &Default::default()).unwrap_err();
        assert!(errs[0].message.contains("too long"), "{}", errs[0].message);
    }
}
