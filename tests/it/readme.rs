//! The README as a new user meets it, checked against the code: the Configuration table against
//! the settings the code reads (`config::settings::SETTINGS`, both ways), `--help` against the
//! same list, and the Actions table against the registry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use whatsapp_lambda::config::settings;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The rows of the first table after the line `heading`, as cells.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("the README has `{heading}`"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The names in backticks of a cell, `{A,B}_X` expanded to `A_X`, `B_X`.
fn names_in(cell: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, part) in cell.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        for name in part.split(" / ").map(str::trim) {
            match (name.find('{'), name.find('}')) {
                (Some(open), Some(close)) => {
                    for alternative in name[open + 1..close].split(',') {
                        names.push(format!(
                            "{}{alternative}{}",
                            &name[..open],
                            &name[close + 1..]
                        ));
                    }
                }
                _ => names.push(name.to_string()),
            }
        }
    }
    names
}

#[test]
fn the_readme_configuration_table_lists_exactly_the_settings_the_code_reads() {
    let text = readme();
    let rows = table_after(&text, "## Configuration");
    let mut documented = BTreeMap::<String, usize>::new();
    for row in &rows {
        for name in names_in(&row[0]) {
            *documented.entry(name).or_default() += 1;
        }
    }
    let twice: Vec<_> = documented.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "listed more than once: {twice:?}");
    let documented: BTreeSet<String> = documented.into_keys().collect();
    let read: BTreeSet<String> = settings::names().map(str::to_string).collect();
    let missing: Vec<_> = read.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&read).collect();
    assert!(
        missing.is_empty(),
        "settings missing from the README: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "README settings the code does not read: {unknown:?}"
    );
}

#[test]
fn help_names_every_setting() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_whatsapp-lambda"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let missing: Vec<_> = settings::names()
        .filter(|name| !help.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "--help does not name {missing:?}:\n{help}"
    );
}

/// The Actions table as the registry says it must be.
fn actions_table() -> String {
    let mut table = String::from("| Category | Actions |\n|---|---|\n");
    let mut categories: BTreeMap<_, Vec<&str>> = BTreeMap::new();
    for spec in handlers::REGISTRY.actions() {
        categories.entry(spec.category).or_default().push(spec.name);
    }
    for (category, mut names) in categories {
        names.sort_unstable();
        let category = serde_json::to_value(category).unwrap();
        let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        table.push_str(&format!(
            "| {} | {} |\n",
            category.as_str().unwrap(),
            names.join(", ")
        ));
    }
    table
}

#[test]
fn the_readme_actions_table_is_the_registry() {
    let expected = actions_table();
    assert!(
        readme().contains(&expected),
        "the README's Actions table differs from the registry; it must read:\n\n{expected}"
    );
}

/// One build profile throughout: a command of another profile would start a second full
/// build.
#[test]
fn the_readme_and_docs_run_cargo_with_one_profile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = vec![("README.md".to_string(), readme())];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            texts.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    let mut debug = Vec::new();
    let mut release = Vec::new();
    for (file, text) in &texts {
        for line in text.lines().filter(|l| l.contains("cargo run")) {
            if line.contains("--release") {
                release.push(format!("{file}: {line}"));
            } else {
                debug.push(format!("{file}: {line}"));
            }
        }
    }
    assert!(
        debug.is_empty() || release.is_empty(),
        "both profiles are used:\nrelease: {release:#?}\ndebug: {debug:#?}"
    );
}

/// `docs/ingress.md` is one document: one title, and its first table routes every webhook
/// source the code routes.
#[test]
fn the_ingress_doc_has_one_title_and_every_route() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ingress.md"))
            .unwrap();
    let mut in_code = false;
    let mut titles = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with("# ") {
            titles.push(line);
        }
    }
    assert_eq!(titles.len(), 1, "top-level sections: {titles:?}");
    let table: Vec<String> = table_after(&text, titles[0])
        .into_iter()
        .map(|row| row.join(" | "))
        .collect();
    for source in ["meta", "twilio", "wix"] {
        let path = format!("/webhooks/{source}");
        assert_eq!(
            whatsapp_lambda::intake::webhooks::route(&path),
            Some(source)
        );
        assert!(
            table.iter().any(|row| row.contains(&path)),
            "{path} is missing from the route table: {table:#?}"
        );
    }
}
