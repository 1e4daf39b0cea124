//! `archctl init`: a new project that renders in every profile, passes
//! `check --deny warnings`, and never replaces a file.

use crate::support::Project;

#[test]
fn a_new_project_renders_in_every_profile_and_checks_clean() {
    let p = Project::new();
    let run = p.run(&["init", "--name", "shop", "--image", "ghcr.io/acme/shop:1.0.0"]).success();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for file in [
        "archctl.toml",
        "profiles/dev.toml",
        "profiles/staging.toml",
        "profiles/production.toml",
        "archctl.schema.json",
        "profile.schema.json",
        ".gitignore",
    ] {
        assert!(p.path().join(file).is_file(), "{file} missing; stderr:\n{}", run.stderr);
    }
    assert!(p.read("archctl.toml").starts_with("#:schema ./archctl.schema.json\n"));
    assert!(p.read("profiles/dev.toml").starts_with("#:schema ../profile.schema.json\n"));
    assert_eq!(p.read(".gitignore"), "/out/\n");
    // the schemas written are the ones `archctl schema` prints
    assert_eq!(p.read("archctl.schema.json"), p.run(&["schema"]).success().stdout);
    assert_eq!(p.read("profile.schema.json"), p.run(&["schema", "--profile"]).success().stdout);

    let check = p.run(&["check", "--deny", "warnings"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains(
        "checked 8 renders ((topology), dev, production, staging) at each phase (pilot, growth): 0 errors, 0 warnings"
    ));
    // `archctl init demo && cd demo && archctl render && archctl check`
    let plain = p.run(&["render"]).success();
    assert!(plain.stderr.is_empty(), "{}", plain.stderr);
    assert!(!plain.docs().is_empty());
    for profile in ["dev", "staging", "production"] {
        let run = p.run(&["render", "--profile", profile]).success();
        assert!(run.stderr.is_empty(), "{profile}: {}", run.stderr);
        let docs = run.docs();
        let web = crate::support::find(&docs, "Deployment", Some("shop"), "web");
        assert_eq!(web["spec"]["template"]["spec"]["containers"][0]["image"], "ghcr.io/acme/shop:1.0.0");
        assert!(web["spec"]["template"]["spec"]["containers"][0]["readinessProbe"].is_object());
    }
}

#[test]
fn the_name_comes_from_the_folder_and_the_namespace_from_the_name() {
    let p = Project::new();
    std::fs::create_dir(p.path().join("My_Shop")).unwrap();
    p.run(&["init", "My_Shop"]).success();
    let topology = p.read("My_Shop/archctl.toml");
    assert!(topology.contains("name = \"my-shop\"\nnamespace = \"my-shop\""), "{topology}");
    let run = p.run(&["-f", "My_Shop/archctl.toml", "check", "--deny", "warnings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn an_existing_file_is_never_replaced_and_nothing_is_written() {
    let p = Project::new().file("profiles/staging.toml", "# mine\n");
    let run = p.run(&["init", "--name", "shop"]).user_error();
    assert!(run.stderr.contains("profiles/staging.toml` exists"), "{}", run.stderr);
    assert_eq!(p.read("profiles/staging.toml"), "# mine\n");
    assert!(!p.path().join("archctl.toml").exists(), "nothing is written when one file exists");
    // a second init over a first one is refused the same way
    let q = Project::new();
    q.run(&["init", "--name", "shop"]).success();
    let before = q.read("archctl.toml");
    q.run(&["init", "--name", "other"]).user_error().stderr_has("archctl.toml` exists");
    assert_eq!(q.read("archctl.toml"), before);
}

#[test]
fn names_kubernetes_would_refuse_are_refused_before_writing() {
    for args in [
        vec!["init", "--name", "Bad_Name"],
        vec!["init", "--name", "shop", "--namespace", "-x"],
        vec!["init", "--name", "shop", "--image", "a b"],
    ] {
        let p = Project::new();
        p.run(&args).user_error();
        assert!(!p.path().join("archctl.toml").exists(), "{args:?}");
    }
}
