//! Rule: a cron job's `schedule` parses as the API server parses it
//! (robfig/cron's standard parser: five fields or an `@` macro), runs at
//! least once, carries no `TZ=` prefix, and its `time_zone` is one the API
//! server and the CronJob controller can load.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::topology::{Kind, Topology};

use super::zones::ZONES;

/// Why a schedule is refused, and how to fix it.
#[derive(Debug)]
pub(super) struct Refused {
    pub why: String,
    pub help: String,
}

fn refuse(why: impl Into<String>, help: impl Into<String>) -> Refused {
    Refused { why: why.into(), help: help.into() }
}

const FIVE_FIELDS: &str =
    "five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\", or a macro like \"@daily\"";

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &topo.services {
        if svc.kind != Kind::CronJob {
            continue; // E030 reports `schedule` and `time_zone` elsewhere
        }
        let path = TomlPath::root().key("services").key(name.clone());
        if let Some(s) = &svc.schedule
            && let Err(r) = schedule(s, svc.time_zone.is_some())
        {
            out.push(
                Diagnostic::error("E031", format!("`{s}` is not a cron schedule: {}", r.why))
                    .at(&path.key("schedule"))
                    .with_help(r.help),
            );
        }
        if let Some(tz) = &svc.time_zone
            && let Err(r) = time_zone(tz)
        {
            out.push(
                Diagnostic::error("E037", format!("`{tz}` is not a time zone: {}", r.why))
                    .at(&path.key("time_zone"))
                    .with_help(r.help),
            );
        }
    }
}

/// One cron field: its name, bounds and the names it accepts.
struct Field {
    what: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The value of the first name (`jan` is 1, `sun` is 0).
    first: u32,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field { what: "minute", min: 0, max: 59, names: &[], first: 0 },
    Field { what: "hour", min: 0, max: 23, names: &[], first: 0 },
    Field { what: "day of month", min: 1, max: 31, names: &[], first: 0 },
    Field { what: "month", min: 1, max: 12, names: &MONTHS, first: 1 },
    Field { what: "day of week", min: 0, max: 6, names: &DAYS, first: 0 },
];

/// The values a field selects, as bits, and whether it is `*` (or `?`):
/// robfig/cron matches a day when day-of-month *and* day-of-week match if
/// either is `*`, and when either matches otherwise.
struct Selected {
    bits: u64,
    star: bool,
}

/// A schedule as `cron.ParseStandard` reads it, with the TZ rule of the
/// CronJob validation; `has_time_zone` only changes the help.
pub(super) fn schedule(s: &str, has_time_zone: bool) -> Result<(), Refused> {
    if s.is_empty() {
        return Err(refuse("it is empty", FIVE_FIELDS));
    }
    if s.contains("TZ") {
        let prefixed = s.strip_prefix("CRON_TZ=").or_else(|| s.strip_prefix("TZ="));
        let help = match prefixed.and_then(|rest| rest.split_once(char::is_whitespace)) {
            Some(_) if has_time_zone => {
                let rest = prefixed.and_then(|r| r.split_once(char::is_whitespace)).map_or("", |x| x.1.trim());
                format!("the service sets `time_zone` already: remove the prefix, `schedule = \"{rest}\"`")
            }
            Some((zone, rest)) => {
                format!("give the zone its own key: `schedule = \"{}\"` and `time_zone = \"{zone}\"`", rest.trim())
            }
            None => "remove `TZ` from the schedule and set the zone with `time_zone = \"Area/Location\"`".to_string(),
        };
        return Err(refuse("Kubernetes refuses `TZ=` and `CRON_TZ=` in a schedule", help));
    }
    if s.starts_with('@') {
        return macro_schedule(s);
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        let help = if fields.len() == 6 {
            format!("Kubernetes schedules have no seconds field: {FIVE_FIELDS}")
        } else {
            FIVE_FIELDS.to_string()
        };
        let n = fields.len();
        return Err(refuse(format!("it has {n} field{}, not 5", if n == 1 { "" } else { "s" }), help));
    }
    let mut selected = Vec::with_capacity(5);
    for (text, f) in fields.iter().zip(&FIELDS) {
        selected.push(field(text, f)?);
    }
    // a day of the month that no selected month has: the controller finds
    // no next run and reports the schedule as invalid
    let (dom, month, dow) = (&selected[2], &selected[3], &selected[4]);
    if dow.star && !dom.star {
        const DAYS_IN: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let first_day = (1..=31).find(|d| dom.bits & (1 << d) != 0).unwrap_or(32);
        let runs = (1..=12).any(|m| month.bits & (1 << m) != 0 && first_day <= DAYS_IN[m as usize - 1]);
        if !runs {
            return Err(refuse(
                format!("it never runs: no month it selects has a day {first_day}"),
                "the CronJob controller finds no next run and reports the schedule as invalid: pick days that exist in the months (February has at most 29)",
            ));
        }
    }
    Ok(())
}

fn macro_schedule(s: &str) -> Result<(), Refused> {
    const MACROS: [&str; 7] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    if MACROS.contains(&s) {
        return Ok(());
    }
    if let Some(d) = s.strip_prefix("@every ") {
        return match go_duration(d) {
            Some(n) if n > 0.0 => Ok(()),
            Some(_) => Err(refuse(
                format!("`@every {d}` is not a positive interval"),
                "robfig/cron runs a zero or negative interval every second: give a positive duration, e.g. \"@every 15m\"",
            )),
            None => Err(refuse(
                format!("`{d}` is not a duration"),
                "write `@every` and a number with a unit: \"@every 90s\", \"@every 1h30m\"",
            )),
        };
    }
    let word = s.split_whitespace().next().unwrap_or(s);
    Err(refuse(
        format!("`{word}` is not a known macro"),
        match suggest::closest(word, MACROS) {
            Some(c) => {
                format!("did you mean `{c}`? Kubernetes knows {}, and `@every <duration>`", suggest::list(MACROS))
            }
            None => format!("Kubernetes knows {}, and `@every <duration>`", suggest::list(MACROS)),
        },
    ))
}

/// A Go duration (`time.ParseDuration`): its value in seconds.
fn go_duration(s: &str) -> Option<f64> {
    let (sign, mut rest) = match s.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(sign * total)
}

fn bounds_help(f: &Field) -> String {
    let names =
        if f.names.is_empty() { String::new() } else { format!(", or {}-{}", f.names[0], f.names[f.names.len() - 1]) };
    let sunday = if f.what == "day of week" { "; Sunday is 0 or `sun` (7 is not accepted)" } else { "" };
    format!("the {} field takes {}-{}{names}{sunday}", f.what, f.min, f.max)
}

/// One field: comma-separated ranges, each `*`, `?`, `N`, `N-M`, with an
/// optional `/step` (`N/step` runs from N to the maximum).
fn field(text: &str, f: &Field) -> Result<Selected, Refused> {
    let mut sel = Selected { bits: 0, star: false };
    // FieldsFunc on ',' in robfig/cron: empty parts are skipped
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let slashes: Vec<&str> = part.split('/').collect();
        if slashes.len() > 2 {
            return Err(refuse(format!("`{part}` has more than one `/`"), bounds_help(f)));
        }
        let hyphens: Vec<&str> = slashes[0].split('-').collect();
        let (mut start, mut end, star) = if hyphens[0] == "*" || hyphens[0] == "?" {
            if hyphens.len() > 1 {
                return Err(refuse(
                    format!("`{part}` in the {} field is `*` with a range", f.what),
                    format!("write `*` for every value or a range such as `1-5`: {}", bounds_help(f)),
                ));
            }
            (f.min, f.max, true)
        } else {
            let start = value(hyphens[0], part, f)?;
            let end = match hyphens.len() {
                1 => start,
                2 => value(hyphens[1], part, f)?,
                _ => return Err(refuse(format!("`{part}` has more than one `-`"), bounds_help(f))),
            };
            (start, end, false)
        };
        let mut step = 1;
        if let Some(st) = slashes.get(1) {
            step = match st.parse::<i64>() {
                Ok(n) if n > 0 => u32::try_from(n).unwrap_or(u32::MAX),
                _ => {
                    return Err(refuse(
                        format!("step `{st}` in the {} field is not a positive number", f.what),
                        format!("a step counts values, e.g. `*/15` every 15th {}", f.what),
                    ));
                }
            };
            if hyphens.len() == 1 && !star {
                end = f.max;
            }
        }
        if start < f.min {
            return Err(refuse(
                format!("`{start}` is not a valid {}: the minimum is {}", f.what, f.min),
                bounds_help(f),
            ));
        }
        if end > f.max {
            return Err(refuse(format!("`{end}` is not a valid {}: the maximum is {}", f.what, f.max), bounds_help(f)));
        }
        if start > end {
            return Err(refuse(
                format!("the range `{part}` runs backwards ({start} is after {end})"),
                format!(
                    "a range goes from the lower to the higher value, e.g. `{end}-{start}`; to wrap around, list two ranges (`{start}-{},{}-{end}`)",
                    f.max, f.min
                ),
            ));
        }
        if star && step > 1 {
            // `*/n` is a stepped range, not `*` (robfig/cron drops the star)
        } else if star {
            sel.star = true;
        }
        while start <= end {
            sel.bits |= 1 << start;
            let Some(next) = start.checked_add(step) else { break };
            start = next;
        }
    }
    Ok(sel)
}

/// A number or a name of a field.
fn value(text: &str, part: &str, f: &Field) -> Result<u32, Refused> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = f.names.iter().position(|n| *n == lower) {
        return Ok(f.first + i as u32);
    }
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err(refuse(format!("`{part}` has a negative number"), bounds_help(f))),
        Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        Err(_) => Err(refuse(
            format!(
                "`{text}` is not a number{} of the {} field",
                if f.names.is_empty() { "" } else { " or name" },
                f.what
            ),
            if ["L", "W", "#"].iter().any(|c| text.contains(c)) {
                format!("Kubernetes schedules have no `L`, `W` or `#`: {}", bounds_help(f))
            } else {
                bounds_help(f)
            },
        )),
    }
}

/// A time zone as the CronJob validation checks it: the IANA naming rules,
/// not `Local`, and a zone Go's embedded database has.
pub(super) fn time_zone(tz: &str) -> Result<(), Refused> {
    const HELP: &str = "an IANA time zone name such as `Europe/Berlin`, `America/New_York` or `UTC`";
    if tz.is_empty() {
        return Err(refuse("it is empty", format!("remove `time_zone` for the controller's zone, or give {HELP}")));
    }
    if tz.eq_ignore_ascii_case("local") {
        return Err(refuse(
            "Kubernetes wants an explicit zone",
            format!("`Local` depends on the controller's machine: give {HELP}"),
        ));
    }
    let part_ok = |p: &str| {
        p != "."
            && p != ".."
            && !p.starts_with('-')
            && (1..=14).contains(&p.len())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    };
    if tz == "UTC" || (tz.split('/').all(part_ok) && ZONES.lines().any(|z| z == tz)) {
        return Ok(());
    }
    let fixed = tz.split_whitespace().collect::<Vec<_>>().join("_");
    let guess = ZONES.lines().find(|z| z.eq_ignore_ascii_case(&fixed)).or_else(|| suggest::closest(tz, ZONES.lines()));
    Err(refuse(
        "the API server knows no such IANA zone",
        match guess {
            Some(g) => format!("did you mean `{g}`? names are case-sensitive `Area/Location`, as in the tz database"),
            None => format!("give {HELP}"),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_the_api_server_accepts() {
        for ok in [
            "0 2 * * *",
            "*/5 * * * *",
            "0 0 1 jan-mar mon",
            "0 0 1 JAN MON-FRI",
            "@daily",
            "@every 1h30m",
            "0 9-17/2 * * 1-5",
            "5/10 * * * *",
            "0 0 29 2 *",
            "0 0 31 * *",
            "0 0 31 2 mon",
            "? ? ? ? ?",
            "1,,2 * * * *",
        ] {
            assert!(schedule(ok, false).is_ok(), "{ok}: {:?}", schedule(ok, false));
        }
    }

    #[test]
    fn schedules_the_api_server_refuses() {
        for (bad, why) in [
            ("0 2 * *", "4 fields"),
            ("0 0 2 * * *", "6 fields"),
            ("61 * * * *", "`61` is not a valid minute: the maximum is 59"),
            ("* 24 * * *", "`24` is not a valid hour"),
            ("0 0 0 * *", "`0` is not a valid day of month: the minimum is 1"),
            ("0 0 * 13 *", "`13` is not a valid month"),
            ("0 0 * * 7", "`7` is not a valid day of week: the maximum is 6"),
            ("5-1 * * * *", "runs backwards"),
            ("0 0 * * fri-mon", "runs backwards"),
            ("*/0 * * * *", "not a positive number"),
            ("1/x * * * *", "not a positive number"),
            ("*-5 * * * *", "with a range"),
            ("1-2-3 * * * *", "more than one `-`"),
            ("1/2/3 * * * *", "more than one `/`"),
            ("0 0 L * *", "not a number"),
            ("0 0 * * mon#1", "not a number"),
            ("0 0 * foo *", "not a number or name"),
            ("@sometimes", "not a known macro"),
            ("@daily ", "not a known macro"),
            ("@every 5", "not a duration"),
            ("@every 0s", "not a positive"),
            ("CRON_TZ=Europe/Berlin 0 2 * * *", "refuses `TZ=`"),
            ("TZ=UTC @daily", "refuses `TZ=`"),
            ("0 0 30 2 *", "never runs"),
            ("0 0 31 4,6,9,11 *", "never runs"),
            ("", "empty"),
        ] {
            match schedule(bad, false) {
                Ok(()) => panic!("{bad:?} was accepted"),
                Err(r) => assert!(r.why.contains(why), "{bad:?}: {}", r.why),
            }
        }
    }

    #[test]
    fn the_tz_prefix_help_moves_the_zone() {
        let r = schedule("CRON_TZ=Europe/Berlin 0 2 * * *", false).unwrap_err();
        assert_eq!(r.help, "give the zone its own key: `schedule = \"0 2 * * *\"` and `time_zone = \"Europe/Berlin\"`");
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("1h30m"), Some(5400.0));
        assert_eq!(go_duration("1.5s"), Some(1.5));
        assert_eq!(go_duration("0"), Some(0.0));
        assert_eq!(go_duration("-2m"), Some(-120.0));
        assert_eq!(go_duration("5"), None);
        assert_eq!(go_duration("1d"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn time_zones() {
        for ok in ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Eastern", "EST5EDT"] {
            assert!(time_zone(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Local", "local", "Europe/Berlinn", "europe/berlin", "Mars/Olympus", "../etc/passwd", "GMT+25"]
        {
            assert!(time_zone(bad).is_err(), "{bad}");
        }
        assert!(time_zone("europe/berlin").unwrap_err().help.contains("`Europe/Berlin`"));
        assert!(time_zone("America/New York").unwrap_err().help.contains("`America/New_York`"));
    }

    #[test]
    fn the_zone_list_is_sorted_and_whole() {
        let zones: Vec<&str> = ZONES.lines().collect();
        assert!(zones.len() > 590, "{}", zones.len());
        assert!(zones.windows(2).all(|w| w[0] < w[1]));
    }
}
