//! `check --format sarif` and `--format github`: the findings of `check
//! --format json`, as a SARIF 2.1.0 log valid under the official schema
//! and as GitHub Actions workflow commands, pointing at the same places.

use serde_json::Value;

use crate::check::PHASED as TOPOLOGY;
use crate::support::Project;

fn project() -> Project {
    Project::with(TOPOLOGY)
        .file("profiles/production.toml", "phase = \"growth\"\n")
        .file("profiles/dev.toml", "[services.web]\nreplicas = { pilot = 1 }\n")
}

/// The SARIF 2.1.0 schema, from the source of the serde-sarif crate (a
/// dev-dependency), found through `cargo metadata`.
fn sarif_schema() -> Value {
    // this platform's packages only: those of others may not be downloaded
    let rustc = std::process::Command::new("rustc").arg("-vV").output().expect("rustc runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency")
        .to_string();
    let path = std::path::Path::new(&manifest).parent().unwrap().join("src/schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // the published schema's pattern for `language` (of a run and of a
    // tool component) has a stray `]` that ECMA-262 regexes accept and
    // Rust's do not; archctl never writes `language`, so the pattern is
    // replaced by the one it means
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    assert_eq!(schema["title"], "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema");
    schema
}

fn json_findings(p: &Project) -> Vec<Value> {
    let run = p.run(&["check", "--format", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn sarif_is_valid_and_points_at_each_finding_with_its_rule_and_renders() {
    let p = project();
    let run = p.run(&["check", "--format", "sarif"]);
    assert_eq!(run.code, 2, "an error exits 2 in every format: {}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken), "the schema is checked, not only read");
    // and serde-sarif's types read it back
    serde_json::from_value::<serde_sarif::sarif::Sarif>(log.clone()).expect("serde-sarif reads the log");

    let sarif_run = &log["runs"][0];
    assert_eq!(sarif_run["tool"]["driver"]["name"], "archctl");
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = sarif_run["results"].as_array().unwrap();
    let expected = json_findings(&p);
    assert_eq!(results.len(), expected.len());
    for (result, finding) in results.iter().zip(&expected) {
        assert_eq!(result["ruleId"], finding["code"]);
        assert_eq!(result["level"], finding["severity"]);
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], finding["code"], "ruleIndex points at its rule");
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        let place = &result["locations"][0]["physicalLocation"];
        assert_eq!(place["artifactLocation"]["uri"], finding["file"]);
        assert_eq!(place["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(place["region"]["startLine"], finding["line"]);
        assert_eq!(place["region"]["startColumn"], finding["column"]);
        assert_eq!(result["properties"]["renders"], finding["renders"]);
        assert_eq!(result["properties"]["profiles"], finding["profiles"]);
        assert!(result["message"]["text"].as_str().unwrap().starts_with(finding["message"].as_str().unwrap()));
    }
    let e008 = results.iter().find(|r| r["ruleId"] == "E008").expect("the scale phase's bad size");
    assert_eq!(e008["locations"][0]["physicalLocation"]["region"]["startLine"], 15);
    assert!(e008["message"]["text"].as_str().unwrap().contains("\nin: every render at scale"), "{e008}");
    let w004 = results.iter().find(|r| r["ruleId"] == "W004").expect("dev's single replica");
    assert_eq!(w004["level"], "warning");
    assert!(w004["message"]["text"].as_str().unwrap().contains("\nin: dev at pilot"), "{w004}");
    // every code of the registry is a rule, once
    let ids: std::collections::BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rules.len());
    assert!(ids.contains("E000") && ids.contains("W001"));
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md")).unwrap();
    for id in &ids {
        assert!(docs.contains(&format!("## {id}\n")), "{id} is documented");
    }
}

#[test]
fn a_clean_topology_is_a_valid_sarif_log_without_results() {
    let p = Project::archivist();
    let run = p.run(&["check", "--format", "sarif"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(jsonschema::validator_for(&sarif_schema()).unwrap().is_valid(&log));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        log["runs"][0]["properties"]["checked"],
        serde_json::json!(["(topology)", "dev", "production", "staging"])
    );
    let run = p.run(&["check", "--format", "github"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn github_annotations_name_the_file_line_and_column_of_each_finding() {
    let p = project();
    let run = p.run(&["check", "--format", "github"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let expected = json_findings(&p);
    assert_eq!(lines.len(), expected.len(), "one line per finding: {}", run.stdout);
    for (line, f) in lines.iter().zip(&expected) {
        let head = format!(
            "::{} file={},line={},col={},title=archctl {}::",
            f["severity"].as_str().unwrap(),
            f["file"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["code"].as_str().unwrap()
        );
        assert!(line.starts_with(&head), "{line}\nwanted {head}");
    }
    let w004 = lines.iter().find(|l| l.contains("title=archctl W004")).unwrap();
    assert!(w004.contains("%0Ain: dev at pilot"), "newlines are escaped, the line stays one: {w004}");
    // with warnings only, --deny decides the exit code as for text
    let warned = Project::with(&TOPOLOGY.replace("\"1x\"", "\"1Ti\""))
        .file("profiles/dev.toml", "[services.web]\nreplicas = { pilot = 1 }\n");
    assert_eq!(warned.run(&["check", "--format", "github"]).code, 0);
    assert_eq!(warned.run(&["check", "--format", "github", "--deny", "warnings"]).code, 1);
}
