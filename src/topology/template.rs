//! minijinja expressions in string values (`"{{ registry }}/api:{{ tag }}"`).
//!
//! Every string of the merged topology is a template, except the values of
//! `[vars]` themselves. Undefined variables are errors, not empty strings,
//! and rendering runs with a fuel limit and no loader, so a template can
//! neither loop forever nor read files.

use minijinja::{Environment, ErrorKind, UndefinedBehavior};

use super::path::TomlPath;
use crate::diagnostic::Diagnostic;
use crate::suggest;

/// Instructions a single string may spend; plenty for expressions, too few
/// for a runaway loop.
const FUEL: u64 = 50_000;

/// Expands every templated string in `root`; `profile` is exposed to
/// templates as `profile`, and each service named in `pools` sees its pool
/// name as `pool`.
pub fn expand(
    root: &mut toml::Table,
    profile: Option<&str>,
    pools: &indexmap::IndexMap<String, String>,
) -> Result<(), Vec<Diagnostic>> {
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
    let ctx = minijinja::Value::from(minijinja::value::Serde(&vars));
    let names: Vec<String> = vars.keys().cloned().collect();

    let mut problems = Vec::new();
    for (k, v) in root.iter_mut() {
        if k == "vars" {
            continue;
        }
        let path = TomlPath::root().key(k.clone());
        match v {
            toml::Value::Table(services) if k == "services" && !pools.is_empty() => {
                for (name, svc) in services.iter_mut() {
                    let svc_path = path.key(name.clone());
                    match pools.get(name) {
                        Some(pool) => {
                            let mut with_pool = vars.clone();
                            with_pool.insert("pool".into(), toml::Value::String(pool.clone()));
                            let ctx = minijinja::Value::from(minijinja::value::Serde(&with_pool));
                            let names: Vec<String> = with_pool.keys().cloned().collect();
                            walk(svc, &svc_path, &env, &ctx, &names, &mut problems);
                        }
                        None => walk(svc, &svc_path, &env, &ctx, &names, &mut problems),
                    }
                }
            }
            _ => walk(v, &path, &env, &ctx, &names, &mut problems),
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

fn walk(
    v: &mut toml::Value,
    path: &TomlPath,
    env: &Environment<'_>,
    ctx: &minijinja::Value,
    names: &[String],
    problems: &mut Vec<Diagnostic>,
) {
    match v {
        toml::Value::String(s) if s.contains("{{") || s.contains("{%") || s.contains("{#") => {
            match env.render_str(s, ctx) {
                Ok(out) => *s = out,
                Err(e) => problems.push(template_error(&e, path, names)),
            }
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &path.index(i), env, ctx, names, problems);
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t.iter_mut() {
                walk(item, &path.key(k.clone()), env, ctx, names, problems);
            }
        }
        _ => {}
    }
}

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
    fn runaway_loops_run_out_of_fuel() {
        let mut t =
            table("x = \"{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}\"\n");
        let errs = expand(&mut t, None, &Default::default()).unwrap_err();
        assert!(errs[0].message.contains("too long"), "{}", errs[0].message);
    }
}
