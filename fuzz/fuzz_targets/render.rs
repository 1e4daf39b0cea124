//! Fuzz target: arbitrary bytes as a topology (and, after a line
//! `%%profile%%`, a profile) through load, validate, resolve, build, the
//! YAML emitter and the Helm chart generator. Any panic, hang or runaway
//! allocation is a finding; errors are the expected outcome for most
//! inputs.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use archctl::api;
use libfuzzer_sys::fuzz_target;

fn workdir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("archctl-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("profiles"));
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = workdir();
    let marker: &[u8] = b"\n%%profile%%\n";
    let (topology, profile) = match data.windows(marker.len()).position(|w| w == marker) {
        Some(i) => (&data[..i], Some(&data[i + marker.len()..])),
        None => (data, None),
    };
    let _ = std::fs::write(dir.join("archctl.toml"), topology);
    let profile_name = profile.map(|p| {
        let _ = std::fs::write(dir.join("profiles/p.toml"), p);
        "p".to_string()
    });
    if profile.is_none() {
        let _ = std::fs::remove_file(dir.join("profiles/p.toml"));
    }
    let target = api::Target::new(profile_name.clone(), None);
    let Ok(rendered) = api::render(&dir.join("archctl.toml"), &target) else { return };
    let yaml = api::stream(&rendered.objects).expect("objects serialize");
    // what we write must read back as the same objects
    let docs = api::parse_stream(&yaml).expect("our YAML parses");
    assert_eq!(docs.len(), rendered.objects.len());
    let variants = [api::Variant { profile: profile_name, objects: &rendered.objects, resolved: &rendered.resolved }];
    let skeleton = api::Skeleton::new(&dir.join("no-templates"));
    let chart = api::chart(&variants, 0, &skeleton).expect("a chart for any valid render");
    assert!(chart.fallbacks.is_empty(), "a single profile never needs whole-object values");
});
