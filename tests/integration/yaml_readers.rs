//! The YAML emitter against three readers: every string archctl writes must
//! read back as the same string in PyYAML (libyaml, `safe_load`: a YAML 1.1
//! reader, as many tools are), serde-saphyr (YAML 1.2) and kubectl (Go's
//! sigs.k8s.io/yaml, what `kubectl apply -f -` reads, here through to a real
//! API server and back). A corpus of
//! hand-picked strings — YAML 1.1 booleans, nulls, numbers of every base,
//! timestamps, merge and value keys, indicators, document markers, spaces,
//! control and Unicode characters — and their combinations, over a thousand.

use serde_json::{Map, Value, json};

use crate::support::repo;

/// Strings a YAML reader might take for something else.
const TRICKY: &[&str] = &[
    "",
    " ",
    "  ",
    "<<",
    "=",
    "~",
    "null",
    "Null",
    "NULL",
    "nil",
    "None",
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "0",
    "00",
    "007",
    "0o17",
    "0x1F",
    "0X1f",
    "0b1010",
    "0b",
    "1_000",
    "1,000",
    "1e3",
    "1E3",
    "1.5e-3",
    "-1",
    "+1",
    ".5",
    "5.",
    "-.5",
    "+.5",
    "1:30",
    "1:30:00",
    "-1:30",
    "190:20:30",
    ".inf",
    ".Inf",
    "-.inf",
    "+.INF",
    ".nan",
    ".NaN",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z",
    "2002-12-14",
    "12:30",
    "- x",
    "-",
    "--",
    "---",
    "...",
    "--- x",
    "... x",
    "-x",
    "--flag",
    "? x",
    "?",
    ":",
    ": x",
    "a: b",
    "a:",
    "a :b",
    "a:b",
    "http://x:8080/y",
    "#",
    "# x",
    "x #y",
    "x# y",
    "&a",
    "*a",
    "!x",
    "!!str",
    "|",
    ">",
    "|-",
    ">+",
    "'",
    "\"",
    "''",
    "\"\"",
    "%TAG",
    "@x",
    "`x",
    "[",
    "]",
    "[a]",
    "{",
    "}",
    "{a: b}",
    ",",
    "a, b",
    "\t",
    "a\tb",
    "\ta",
    "a\t",
    "\n",
    "a\nb",
    "a\n",
    "\na",
    "a\r\nb",
    "\r",
    "\u{85}",
    "a\u{85}b",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}x",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\\",
    "\\n",
    "é",
    "日本",
    "🙂",
    "x ",
    " x",
    "x  y",
    "0.0.0.0/0",
    "10.0.0.0/8",
    "*/5 * * * *",
    "@daily",
    "%",
    "100%",
    "50%",
    "1Gi",
    "500m",
    "1e",
    "e1",
    "0e0",
    "1_0.5",
    "0x",
    "0xG",
    "+",
    "+-1",
    "1-2",
    "1.2.3",
    "Infinity",
    "NaN",
    "infinity",
    "TRUE ",
    " true",
    "yes\n",
];

fn corpus() -> Vec<String> {
    let mut out: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
    // combinations: a prefix and a suffix around each tricky string
    let around = ["", " ", "x", "-", ":", "#", "'", "\"", "\n", "\t", "1", "."];
    for s in TRICKY {
        for (i, pre) in around.iter().enumerate() {
            let post = around[(i * 7 + s.len()) % around.len()];
            out.push(format!("{pre}{s}{post}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A ConfigMap holding every string, keyed `k0000`…; and, for the readers
/// without Kubernetes' key rules, the strings as keys too.
fn documents(strings: &[String]) -> (Value, Value) {
    let mut data = Map::new();
    let mut keys = Map::new();
    for (i, s) in strings.iter().enumerate() {
        data.insert(format!("k{i:04}"), Value::String(s.clone()));
        keys.insert(s.clone(), Value::String(format!("k{i:04}")));
    }
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tricky"}, "data": data});
    (cm, Value::Object(keys))
}

#[test]
fn every_string_reads_back_the_same_in_pyyaml_serde_saphyr_and_kubectl() {
    let strings = corpus();
    assert!(strings.len() >= 1000, "{} strings", strings.len());
    let (cm, keys) = documents(&strings);
    let cm_yaml = archctl::api::document(&cm).unwrap();
    let keys_yaml = archctl::api::document(&keys).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cm.yaml"), &cm_yaml).unwrap();
    std::fs::write(dir.path().join("keys.yaml"), &keys_yaml).unwrap();
    if let Ok(keep) = std::env::var("ARCHCTL_KEEP_YAML") {
        std::fs::write(format!("{keep}/cm.yaml"), &cm_yaml).unwrap();
        std::fs::write(format!("{keep}/keys.yaml"), &keys_yaml).unwrap();
    }

    let mismatches = |reader: &str, got: &Value, want: &Value| -> Vec<String> {
        let (Some(g), Some(w)) = (got.as_object(), want.as_object()) else {
            return vec![format!("{reader}: not a map: {got}")];
        };
        let mut out: Vec<String> = w
            .iter()
            .filter(|(k, v)| g.get(*k) != Some(*v))
            .map(|(k, v)| format!("{reader}: {k:?}: wrote {v}, read {:?}", g.get(k)))
            .collect();
        if g.len() != w.len() {
            out.push(format!("{reader}: {} entries read, {} written", g.len(), w.len()));
        }
        out
    };
    let mut problems = Vec::new();

    // serde-saphyr, in process
    let back: Value = serde_saphyr::from_str(&cm_yaml).unwrap_or_else(|e| panic!("serde-saphyr: {e}"));
    problems.extend(mismatches("serde-saphyr data", &back["data"], &cm["data"]));
    let back: Value = serde_saphyr::from_str(&keys_yaml).unwrap_or_else(|e| panic!("serde-saphyr: {e}"));
    problems.extend(mismatches("serde-saphyr keys", &back, &keys));

    // PyYAML with libyaml (the venv of kubernetes-validate holds it)
    let python = repo().join(".tools/venv/bin/python");
    assert!(python.is_file(), "{} is missing: run the tests through ./scripts/test.sh", python.display());
    for (file, want, what) in [("cm.yaml", &cm["data"], "data"), ("keys.yaml", &keys, "keys")] {
        let out = std::process::Command::new(&python)
            .args([
                "-c",
                "import json, sys, yaml\n\
                 assert yaml.__with_libyaml__, 'PyYAML without libyaml'\n\
                 doc = yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)\n\
                 doc = doc.get('data', doc) if sys.argv[2] == 'data' else doc\n\
                 print(json.dumps({str(k): v for k, v in doc.items()}, default=repr))",
            ])
            .arg(dir.path().join(file))
            .arg(what)
            .output()
            .unwrap();
        assert!(out.status.success(), "PyYAML failed on {file}: {}", String::from_utf8_lossy(&out.stderr));
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        // PyYAML's keys are whatever it read them as: compare as written
        problems.extend(mismatches(&format!("PyYAML {what}"), &got, want));
    }

    // kubectl's reader, through to the real API server and back
    let k = crate::support::cluster::TestCluster::start();
    let run = k.kubectl(&[
        "create",
        "--dry-run=server",
        "-n",
        "default",
        "-o",
        "json",
        "-f",
        &dir.path().join("cm.yaml").to_string_lossy(),
    ]);
    assert_eq!(run.code, 0, "kubectl failed: {}", run.stderr);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    problems.extend(mismatches("kubectl data", &got["data"], &cm["data"]));

    assert!(
        problems.is_empty(),
        "{} of {} strings do not read back:\n{}",
        problems.len(),
        strings.len(),
        problems.join("\n")
    );
}
