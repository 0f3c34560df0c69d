//! flake.nix templates for `nixbench flake init`: a dev shell per common stack.

const TEMPLATES: &[(&str, &str)] = &[
    ("plain", include_str!("../../assets/templates/plain.nix")),
    ("rust", include_str!("../../assets/templates/rust.nix")),
    ("python", include_str!("../../assets/templates/python.nix")),
    ("node", include_str!("../../assets/templates/node.nix")),
    ("go", include_str!("../../assets/templates/go.nix")),
    ("c", include_str!("../../assets/templates/c.nix")),
];

pub fn names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(name, _)| *name).collect()
}

pub fn get(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses_and_has_a_default_shell() {
        for name in super::names() {
            let text = super::get(name).unwrap();
            let flake = crate::flake::Flake::parse(text.to_string());
            assert!(
                flake.diagnostics.is_empty(),
                "{name}: {:?}",
                flake.diagnostics
            );
            let root = rnix::ast::Root::parse(text).tree();
            let shells = crate::flake::edit::dev_shells(&root);
            assert_eq!(shells.len(), 1, "{name}");
            assert_eq!(shells[0].name, "default");
            // And the editor can extend it.
            crate::flake::shell::add_package(text, "default", "hello").unwrap();
        }
    }
}
