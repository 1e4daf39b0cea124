//! The synthetic fleet of `xtask::fleet` (what the benchmarks and the scale
//! tests render) renders in every profile, without a finding.

use crate::support::{Project, find};

#[test]
fn every_profile_of_a_generated_fleet_renders_without_findings() {
    let p = Project::fleet(12);
    for profile in [None, Some("dev"), Some("staging"), Some("production")] {
        let mut args = vec!["render"];
        args.extend(profile.iter().flat_map(|p| ["--profile", *p]));
        let run = p.run(&args).success();
        assert!(run.stderr.is_empty(), "{profile:?}: {}", run.stderr);
        let docs = run.docs();
        let kinds = |k: &str| docs.iter().filter(|o| o["kind"] == k).count();
        assert_eq!(kinds("Deployment"), 12, "{profile:?}");
        assert_eq!(kinds("Service"), 12, "{profile:?}");
        assert_eq!(kinds("HorizontalPodAutoscaler"), if profile == Some("dev") { 0 } else { 12 }, "{profile:?}");
        assert_eq!(kinds("Namespace"), xtask::fleet::NAMESPACES.len(), "{profile:?}");
        find(&docs, "Deployment", Some(xtask::fleet::NAMESPACES[0]), &xtask::fleet::service_name(0));
    }
}
