//! The fast path of loading: the services of a topology one at a time.
//!
//! A fleet's topology is almost all `[services.*]`: 10,000 services are
//! 12 MB of TOML. Converting the whole parsed document into one `toml`
//! value tree, merging, expanding and deserializing it held the tree (about
//! 160 MB) and the typed topology at once, on one thread. Here the document
//! stays in the parser's compact tree and each service goes through the same
//! steps on its own — converted, merged with its profile entry, split into
//! its pools, expanded, deserialized — on every core, its value tree dropped
//! as soon as it is typed. The rest of the topology takes the ordinary steps.
//!
//! It gives the topology [`super::load`]'s steps give, or None: on anything
//! it does not take on (a syntax error, a value the conversion refuses, a
//! profile that changes what it may not, a pool name clash, a template or
//! schema error) the caller loads the ordinary way, which reports it with its
//! position. A test holds the two paths to the same topology for every
//! topology and profile in the repository.

use rayon::prelude::*;
use std::collections::HashSet;

use indexmap::IndexMap;
use serde::Deserialize;

use super::parse::fast;
use super::template::Templates;
use super::{Context, LoadOptions, merge};
use crate::topology::{Service, Topology};

/// The topology of `opts`, with whether a template mentions `phase`; None
/// when the ordinary path must load it.
pub(super) fn load(
    ctx: &Context,
    topology_file: usize,
    profile_file: Option<usize>,
    opts: &LoadOptions,
) -> Option<(Topology, bool)> {
    // the parser's tree is gone before the services are gathered: the
    // two together would be the peak of the whole render
    let (root, typed, mut mentions_phase) = services(ctx, topology_file, profile_file, opts)?;
    let mut topology = Topology::deserialize(toml::Value::Table(root)).ok()?;
    let mut all = IndexMap::with_capacity(typed.len());
    for made in typed {
        for (name, service, phase) in made? {
            mentions_phase |= phase;
            // a pool's service named as another service, or as another
            // pool's: the ordinary path says which
            if all.insert(name, service).is_some() {
                return None;
            }
        }
    }
    topology.services = all;
    Some((topology, mentions_phase))
}

/// The services of [`one`], typed one at a time on every core, in order;
/// the rest of the topology as a merged and expanded tree; and whether the
/// rest's templates mention `phase`.
#[allow(clippy::type_complexity)]
fn services(
    ctx: &Context,
    topology_file: usize,
    profile_file: Option<usize>,
    opts: &LoadOptions,
) -> Option<(toml::Table, Vec<Option<Vec<(String, Service, bool)>>>, bool)> {
    let text = &ctx.sources.get(topology_file)?.text;
    let arena = toml_spanner::Arena::new();
    let doc = toml_spanner::parse(text, &arena).ok()?;

    let mut root = toml::Table::new();
    let mut services = None;
    for (k, v) in doc.table().iter() {
        if k.name == "services" {
            services = Some(v.as_table()?);
        } else {
            root.insert(k.name.to_string(), fast::value(v)?);
        }
    }
    let empty = toml_spanner::Table::new();
    let services = services.unwrap_or(&empty);

    let mut profile_services = toml::Table::new();
    if let Some(file) = profile_file {
        let mut overlay = super::parse::parse(&ctx.sources.get(file)?.text, file).ok()?;
        if let Some(over) = overlay.remove("services") {
            let toml::Value::Table(over) = over else { return None };
            let known: HashSet<&str> = services.iter().map(|(k, _)| k.name).collect();
            if !over.keys().all(|k| known.contains(k.as_str())) {
                return None;
            }
            profile_services = over;
        }
        if !super::check_overlay_targets(&root, &overlay).is_empty() {
            return None;
        }
        merge(&mut root, overlay);
    }

    if let Some(phase) = &opts.phase {
        root.insert("phase".into(), toml::Value::String(phase.clone()));
    }
    let templates = Templates::new(&root, opts.profile.as_deref());
    let rest = super::template::expand(&mut root, opts.profile.as_deref(), &IndexMap::new()).ok()?;

    let entries: Vec<_> = services.iter().collect();
    let typed = entries
        .par_iter()
        .map(|(key, item)| one(key.name, item, profile_services.get(key.name), &templates))
        .collect::<Vec<_>>();
    Some((root, typed, rest.mentions_phase))
}

/// The services that `[services.NAME]` makes: itself, or one per pool, each
/// with whether its templates mention `phase`.
fn one(
    name: &str,
    item: &toml_spanner::Item<'_>,
    profile: Option<&toml::Value>,
    templates: &Templates,
) -> Option<Vec<(String, Service, bool)>> {
    let mut value = fast::value(item)?;
    if let Some(over) = profile {
        match (&mut value, over) {
            (toml::Value::Table(base), toml::Value::Table(over)) => merge(base, over.clone()),
            _ => value = over.clone(),
        }
    }
    let typed = |name: &str, mut value: toml::Value, pool: Option<&str>| -> Option<(String, Service, bool)> {
        let expanded = templates.service(name, &mut value, pool).ok()?;
        Some((name.to_string(), Service::deserialize(value).ok()?, expanded.mentions_phase))
    };
    let toml::Value::Table(mut table) = value else { return Some(vec![typed(name, value, None)?]) };
    let Some(pools) = table.remove("pools") else {
        return Some(vec![typed(name, toml::Value::Table(table), None)?]);
    };
    let toml::Value::Table(pools) = pools else { return None };
    table.entry("component").or_insert_with(|| toml::Value::String(name.to_string()));
    let mut out = Vec::with_capacity(pools.len());
    for (pool, overlay) in pools {
        let toml::Value::Table(overlay) = overlay else { return None };
        let mut merged = table.clone();
        merge(&mut merged, overlay);
        out.push(typed(&format!("{name}-{pool}"), toml::Value::Table(merged), Some(&pool))?);
    }
    Some(out)
}
